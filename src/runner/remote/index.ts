/** The remote runner: the runner side of the server's runner protocol. */
export { createRemoteRunner, maskResult, wantsFullHistory, registrableLabels, stepNumbering, type PreparedJob, type RemoteRunner, type RemoteRunnerLogger, type RemoteRunnerOptions } from "./remote-runner.js";
export {
  createProtocolClient,
  isLeaseLost,
  isTransient,
  type ProtocolClient,
  type ProtocolClientOptions,
} from "./protocol-client.js";
export { createJobReporter, type JobReporter, type JobReporterOptions } from "./job-reporter.js";
export { CREDENTIAL_FILE, readCredential, writeCredential, type StoredCredential } from "./credential.js";
export { cloneAtCommit, cloneFromServer, serverGitEnv, type CloneInput } from "./checkout.js";
export { createRemoteArtifactStore, type RemoteJobStoreOptions } from "./artifact-client.js";
export { createRemoteCacheStore, type RemoteCacheStoreOptions } from "./cache-client.js";
