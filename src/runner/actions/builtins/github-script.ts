/**
 * actions/github-script, offline: runs `script` as the body of an async
 * function with `context`, `core`, `exec`, `require` and `fetch` as the real
 * action does. `github` (the REST/GraphQL client) needs the network: using it
 * fails the step with a message saying so. `result` is set from the return
 * value (`result-encoding` json or string).
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { UsesContext } from "../../uses.js";
import { buildInputEnv } from "../inputs.js";
import type { BuiltinAction } from "../builtin.js";

/** The program run under `node`; plain CommonJS so it needs nothing installed. */
const WRAPPER = String.raw`"use strict";
const fs = require("fs");
const path = require("path");
const os = require("os");
const cp = require("child_process");
const { createRequire } = require("module");

const input = (name) => (process.env["INPUT_" + name.replace(/ /g, "_").toUpperCase()] || "").trim();
const escapeData = (s) => String(s).replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
const appendFile = (variable, name, value) => {
  const file = process.env[variable];
  const text = typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value);
  const delimiter = "ghadelimiter_" + require("crypto").randomUUID();
  fs.appendFileSync(file, name + "<<" + delimiter + os.EOL + text + os.EOL + delimiter + os.EOL);
};
const annotate = (level, message, props) => {
  const p = props && typeof props === "object"
    ? Object.entries(props).filter(([, v]) => v !== undefined).map(([k, v]) => k + "=" + String(v).replace(/%/g, "%25").replace(/,/g, "%2C").replace(/:/g, "%3A")).join(",")
    : "";
  process.stdout.write("::" + level + (p ? " " + p : "") + "::" + escapeData(message instanceof Error ? message.message : message) + os.EOL);
};

class Summary {
  constructor() { this.buffer = ""; }
  addRaw(text, addEOL) { this.buffer += text; if (addEOL) this.buffer += os.EOL; return this; }
  addEOL() { return this.addRaw(os.EOL); }
  addHeading(text, level) { const l = Math.min(Math.max(Number(level) || 1, 1), 6); return this.addRaw("<h" + l + ">" + text + "</h" + l + ">", true); }
  addCodeBlock(code, lang) { return this.addRaw("<pre" + (lang ? ' lang="' + lang + '"' : "") + "><code>" + code + "</code></pre>", true); }
  addList(items, ordered) { const t = ordered ? "ol" : "ul"; return this.addRaw("<" + t + ">" + items.map((i) => "<li>" + i + "</li>").join("") + "</" + t + ">", true); }
  addTable(rows) {
    const cell = (c) => typeof c === "string" ? "<td>" + c + "</td>" : "<" + (c.header ? "th" : "td") + (c.colspan ? ' colspan="' + c.colspan + '"' : "") + (c.rowspan ? ' rowspan="' + c.rowspan + '"' : "") + ">" + c.data + "</" + (c.header ? "th" : "td") + ">";
    return this.addRaw("<table>" + rows.map((r) => "<tr>" + r.map(cell).join("") + "</tr>").join("") + "</table>", true);
  }
  addDetails(label, content) { return this.addRaw("<details><summary>" + label + "</summary>" + content + "</details>", true); }
  addImage(src, alt) { return this.addRaw('<img src="' + src + '" alt="' + alt + '">', true); }
  addSeparator() { return this.addRaw("<hr>", true); }
  addBreak() { return this.addRaw("<br>", true); }
  addQuote(text) { return this.addRaw("<blockquote>" + text + "</blockquote>", true); }
  addLink(text, href) { return this.addRaw('<a href="' + href + '">' + text + "</a>", true); }
  stringify() { return this.buffer; }
  isEmptyBuffer() { return this.buffer.length === 0; }
  emptyBuffer() { this.buffer = ""; return this; }
  async write(options) {
    const file = process.env.GITHUB_STEP_SUMMARY;
    if (options && options.overwrite) fs.writeFileSync(file, this.buffer); else fs.appendFileSync(file, this.buffer);
    return this.emptyBuffer();
  }
  async clear() { this.buffer = ""; return this.write({ overwrite: true }); }
}

const core = {
  getInput: (name, options) => {
    const v = input(name);
    if (options && options.required && !v) throw new Error("Input required and not supplied: " + name);
    return options && options.trimWhitespace === false ? process.env["INPUT_" + name.replace(/ /g, "_").toUpperCase()] || "" : v;
  },
  getMultilineInput: (name, options) => core.getInput(name, options).split("\n").filter((x) => x !== ""),
  getBooleanInput: (name, options) => {
    const v = core.getInput(name, options);
    if (["true", "True", "TRUE"].includes(v)) return true;
    if (["false", "False", "FALSE"].includes(v)) return false;
    throw new TypeError('Input does not meet YAML 1.2 "Core Schema" specification: ' + name);
  },
  setOutput: (name, value) => appendFile("GITHUB_OUTPUT", name, value),
  exportVariable: (name, value) => { process.env[name] = typeof value === "string" ? value : JSON.stringify(value); appendFile("GITHUB_ENV", name, value); },
  addPath: (p) => { fs.appendFileSync(process.env.GITHUB_PATH, p + os.EOL); process.env.PATH = p + path.delimiter + process.env.PATH; },
  saveState: (name, value) => appendFile("GITHUB_STATE", name, value),
  getState: (name) => process.env["STATE_" + name] || "",
  setSecret: (value) => process.stdout.write("::add-mask::" + escapeData(value) + os.EOL),
  setFailed: (message) => { process.exitCode = 1; annotate("error", message); },
  isDebug: () => process.env.RUNNER_DEBUG === "1",
  debug: (message) => process.stdout.write("::debug::" + escapeData(message) + os.EOL),
  info: (message) => process.stdout.write(message + os.EOL),
  notice: (message, props) => annotate("notice", message, props),
  warning: (message, props) => annotate("warning", message, props),
  error: (message, props) => annotate("error", message, props),
  startGroup: (name) => process.stdout.write("::group::" + name + os.EOL),
  endGroup: () => process.stdout.write("::endgroup::" + os.EOL),
  group: async (name, fn) => { core.startGroup(name); try { return await fn(); } finally { core.endGroup(); } },
  setCommandEcho: () => {},
  summary: new Summary(),
};

const exec = {
  getExecOutput: async (command, args, options) => {
    const r = cp.spawnSync(command, args || [], { cwd: options && options.cwd, env: (options && options.env) || process.env, input: options && options.input, shell: !args, encoding: "utf8" });
    if (!(options && options.silent)) { process.stdout.write(r.stdout || ""); process.stderr.write(r.stderr || ""); }
    const exitCode = r.status === null ? 1 : r.status;
    if (exitCode !== 0 && !(options && options.ignoreReturnCode)) throw new Error("The process '" + command + "' failed with exit code " + exitCode);
    return { exitCode, stdout: r.stdout || "", stderr: r.stderr || "" };
  },
  exec: async (command, args, options) => (await exec.getExecOutput(command, args, options)).exitCode,
};

const eventPath = process.env.GITHUB_EVENT_PATH;
const payload = eventPath && fs.existsSync(eventPath) ? JSON.parse(fs.readFileSync(eventPath, "utf8")) : {};
const [owner, repo] = (process.env.GITHUB_REPOSITORY || "/").split("/");
const context = {
  payload,
  eventName: process.env.GITHUB_EVENT_NAME,
  sha: process.env.GITHUB_SHA,
  ref: process.env.GITHUB_REF,
  workflow: process.env.GITHUB_WORKFLOW,
  action: process.env.GITHUB_ACTION,
  actor: process.env.GITHUB_ACTOR,
  job: process.env.GITHUB_JOB,
  runAttempt: Number(process.env.GITHUB_RUN_ATTEMPT),
  runNumber: Number(process.env.GITHUB_RUN_NUMBER),
  runId: Number(process.env.GITHUB_RUN_ID),
  apiUrl: process.env.GITHUB_API_URL || "https://api.github.com",
  serverUrl: process.env.GITHUB_SERVER_URL || "https://github.com",
  graphqlUrl: process.env.GITHUB_GRAPHQL_URL || "https://api.github.com/graphql",
  repo: { owner, repo },
  issue: { owner, repo, number: (payload.issue || payload.pull_request || payload).number },
};

const offline = () => { throw new Error("the github API client is not available: Slipway's built-in actions/github-script runs offline (turn the built-in off to use the real action)"); };
const github = new Proxy(function () {}, { get: (_t, prop) => (prop === "then" ? undefined : new Proxy(offline, { get: () => offline(), apply: offline })), apply: offline });

const workspaceRequire = createRequire(path.join(process.env.GITHUB_WORKSPACE || process.cwd(), "noop.js"));
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
(async () => {
  const fn = new AsyncFunction("require", "__original_require__", "github", "octokit", "context", "core", "exec", "glob", "io", "fetch", input("script"));
  const result = await fn(workspaceRequire, require, github, github, context, core, exec, undefined, undefined, globalThis.fetch);
  const encoding = input("result-encoding") || "json";
  if (encoding !== "json" && encoding !== "string") throw new Error('"' + encoding + '" is not a valid result encoding');
  core.setOutput("result", encoding === "string" ? String(result) : result === undefined ? "" : JSON.stringify(result));
})().catch((error) => {
  core.error(error && error.stack ? error.stack : String(error));
  core.setFailed("Unhandled error: " + (error && error.message ? error.message : String(error)));
});
`;

export function createGithubScriptAction(): BuiltinAction {
  return {
    names: ["actions/github-script"],
    async run(context: UsesContext) {
      const dir = path.join(context.tempDir, "slipway-github-script");
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `script-${randomBytes(6).toString("hex")}.cjs`);
      writeFileSync(file, WRAPPER);
      const r = await context.runProcess({ command: "node", args: [file], env: buildInputEnv(context.inputs) });
      if (r.aborted) return { outcome: "cancelled" };
      if (r.exitCode === 0) return { outcome: "success" };
      return { outcome: "failure", error: `Process completed with exit code ${r.exitCode ?? "null (killed)"}.` };
    },
  };
}
