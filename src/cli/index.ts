/**
 * The command line's public surface for tests and other entry points: the
 * program itself, the server it starts, and the small parsers and renderers
 * the commands are built from. The executable is main.ts.
 */
export { buildProgram, registerApiCommands } from "./program.js";
export { registerUiRoutes, startServer, type RunningServer } from "./server-command.js";
export { createApiClient, parseEventStream } from "./api-client.js";
export { exitCodeFor } from "./api/command.js";
export { parseRepoName } from "./api/locate.js";
export { showLogs } from "./api/logs.js";
export { readPlainValue } from "./api/read-value.js";
export { parseInputs } from "./api/runs.js";
export { parseDotenv } from "./dotenv.js";
export { gateLocalDeployments, readProtectedEnvironments } from "./local-deployments.js";
export { buildDefaultPayload, localGithubContext } from "./github-context.js";
export { createRawLogView, createRenderedLogView, renderOutput, RunRenderer } from "./render/index.js";
export { clip, firstLine, formatTable } from "./render/text.js";
export { parseRemoteUrl, readChangedFiles, readPushCommits, readRepoInfo } from "./repo-info.js";
export { copyWorkingTree } from "./workspace.js";
