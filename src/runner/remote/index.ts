/** The remote runner: the runner side of the server's runner protocol. */
export { createRemoteRunner, registrableLabels, type RemoteRunner } from "./remote-runner.js";
export { maskResult, stepNumbering } from "./reported-job.js";
export { createProtocolClient, isLeaseLost, isTransient, type ProtocolClient } from "./protocol-client.js";
export { createJobReporter } from "./job-reporter.js";
export { createBackoff, createOutageLog } from "./retry.js";
export { CREDENTIAL_FILE, readCredential, writeCredential } from "./credential.js";
export { cloneFromServer, serverGitEnv, wantsFullHistory } from "./checkout.js";
export { copyTemplate, saveTemplate } from "./workspace-templates.js";
export { copyTree, removeTree } from "./file-trees.js";
export { createRemoteArtifactStore, type RemoteJobStoreOptions } from "./artifact-client.js";
export { createRemoteCacheStore } from "./cache-client.js";
export { createRemoteTestResultSink } from "./test-results-client.js";
