/**
 * The `uses:` cases of the act corpus (../shared/corpus/act) run through the
 * engine, the host runner and the actions handler, with the whole corpus
 * folder as the workspace as act does (one fresh copy per case).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeRun, planRun } from "../../../src/engine/index.js";
import { createActionsHandler, createBuiltinActions, createCacheStore, createDirectoryArtifactStore, createHostExecutor } from "../../../src/runner/index.js";
import { parseWorkflowOrThrow } from "../../../src/workflow/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const corpus = path.resolve(repoRoot, "../shared/corpus/act");
const present = fs.existsSync(path.join(corpus, "MANIFEST.tsv"));
if (!present) console.log(`notice: ${corpus} is absent; the act uses: cases are skipped`);

const SEPARATE_ROOTS = ["model-testdata", "artifacts-testdata", "exprparser-testdata"];

/** A stand-in for the ncc bundle local-action-js does not ship: greets and sets `time` like its index.js. */
const STAND_IN = `import("node:fs").then((fs) => {
  const who = process.env["INPUT_WHO-TO-GREET"] || "";
  if (!who) { console.log("::error::Input required and not supplied: who-to-greet"); process.exit(1); }
  console.log("Hello " + who + "!");
  fs.appendFileSync(process.env.GITHUB_OUTPUT, "time=" + new Date().toTimeString() + "\\n");
  console.log("The event payload: " + fs.readFileSync(process.env.GITHUB_EVENT_PATH, "utf8").length + " bytes");
});
`;

interface CaseResult {
  conclusion: string;
  jobs: { name: string; conclusion: string; steps: { name: string; conclusion: string }[] }[];
  log: string;
}

let scratch = "";
let template = "";
let sha = "";

beforeAll(() => {
  if (!present) return;
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-actions-corpus-"));
  template = path.join(scratch, "template");
  fs.cpSync(corpus, template, { recursive: true, filter: (src) => !SEPARATE_ROOTS.includes(path.relative(corpus, src)) });
  for (const v of ["node12", "node16", "node20"]) {
    fs.mkdirSync(path.join(template, "actions", v, "dist"), { recursive: true });
    fs.writeFileSync(path.join(template, "actions", v, "dist", "index.js"), STAND_IN);
  }
  const g = (...args: string[]) => execFileSync("git", args, { cwd: template, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  g("init", "-q", "-b", "master");
  g("config", "user.name", "nektos/act");
  g("config", "user.email", "act@example.com");
  g("config", "commit.gpgsign", "false");
  g("add", "-A");
  g("commit", "-q", "-m", "corpus");
  sha = g("rev-parse", "HEAD");
});

afterAll(() => {
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

async function runCase(workflowPath: string, event = "push"): Promise<CaseResult> {
  const workspace = fs.mkdtempSync(path.join(scratch, "case-"));
  fs.cpSync(template, workspace, { recursive: true, verbatimSymlinks: true });
  const workflow = parseWorkflowOrThrow(workflowPath, fs.readFileSync(path.join(workspace, workflowPath), "utf8"));
  const plan = planRun({
    workflows: [workflow],
    event,
    payload: {},
    github: {
      repository: "nektos/act",
      repository_owner: "nektos",
      actor: "nektos/act",
      sha,
      ref: "refs/heads/master",
      ref_name: "master",
      ref_type: "branch",
      workspace,
      server_url: "https://github.com",
      run_id: "1",
      run_number: "1",
      run_attempt: "1",
      token: "",
    },
  });
  const uses = createActionsHandler({
    builtins: createBuiltinActions({
      checkout: { source: { dir: workspace, repository: "nektos/act", sha } },
      cache: createCacheStore({ dir: path.join(scratch, "cache") }),
      artifacts: createDirectoryArtifactStore(path.join(workspace, "..", `${path.basename(workspace)}-artifacts`)),
    }),
    // Remote actions other than the built-ins would need the network: fail fast instead.
    fetch: { baseUrl: "file:///nonexistent-slipway-remote", cacheDir: path.join(scratch, "actions") },
  });
  let counter = 0;
  const lines: string[] = [];
  const executor = createHostExecutor({
    hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? scratch },
    toolCache: path.join(scratch, "tool-cache"),
    labels: ["self-hosted", "linux", "x64", "ubuntu-latest"],
    uses,
    killGraceMs: 500,
    async prepareWorkspace() {
      const tempDir = path.join(workspace, "..", `${path.basename(workspace)}-temp-${counter++}`);
      fs.mkdirSync(tempDir, { recursive: true });
      return { workspace, tempDir };
    },
  });
  const result = await executeRun(plan, {
    executors: [executor],
    concurrency: 1,
    signal: new AbortController().signal,
    events: {
      log: (key: string, _i: number, line: string) => lines.push(`${key}: ${line}`),
      annotation: (key: string, _i: number, a: { level: string; message: string }) => lines.push(`${key}: ${a.level}: ${a.message}`),
    },
  });
  return {
    conclusion: result.conclusion,
    jobs: result.jobs.map((j) => ({ name: j.name, conclusion: j.conclusion, steps: j.steps.map((st) => ({ name: st.name, conclusion: st.conclusion })) })),
    log: lines.join("\n"),
  };
}

const SUCCESS_CASES = [
  "uses-composite/push.yml",
  "local-action-js/push.yml",
  "composite-fail-with-output/push.yml",
  "act-composite-env-test/push.yml",
  "do-not-leak-step-env-in-composite/push.yml",
  "inputs-via-env-context/push.yml",
  "checkout/push.yml",
  "set-env-step-env-override/push.yml",
  "uses-composite-check-for-input-collision/push.yml",
  "uses-composite-check-for-input-shadowing/push.yml",
  "mask-values/push.yml",
  "uses-github-root/push.yml",
  "uses-composite-check-for-input-in-if-uses/push.yml",
  "stepsummary/push.yml",
];

const FAILURE_CASES = [
  "ensure-post-steps/push.yml",
  "uses-composite-with-error/push.yml",
  "non-existent-action/push.yml",
  "post-step-failure-is-job-failure/push.yml",
];

describe.skipIf(!present)("act corpus: uses: cases", () => {
  it.each(SUCCESS_CASES)("%s succeeds", async (wf) => {
    const r = await runCase(wf);
    expect(r.conclusion, r.log).toBe("success");
  }, 60_000);

  it.each(FAILURE_CASES)("%s fails", async (wf) => {
    const r = await runCase(wf);
    expect(r.conclusion, r.log).toBe("failure");
  }, 60_000);

  it("ensure-post-steps runs the post steps of node actions nested in a composite", async () => {
    const r = await runCase("ensure-post-steps/push.yml");
    const steps = r.jobs[0]!.steps;
    // checkout, the composite, then the composite's one Post step, running both nested posts: the second (fail: true) fails it.
    expect(steps.map((st) => [st.name, st.conclusion])).toEqual([
      ["Run actions/checkout@v3", "success"],
      ["Run ./ensure-post-steps/action-composite/", "success"],
      ["Post Run ./ensure-post-steps/action-composite/", "failure"],
    ]);
    expect(r.conclusion).toBe("failure");
  }, 60_000);

  it("uses-composite-with-pre-and-post-steps: appending to GITHUB_ENV without a newline is an invalid line, as on GitHub", async () => {
    // act shares one GITHUB_ENV file across steps, so its fixture expects the fragments to join;
    // GitHub (and Slipway) give every step a fresh file, where ';step1' alone is malformed.
    const r = await runCase("uses-composite-with-pre-and-post-steps/push.yml");
    expect(r.conclusion).toBe("failure");
    expect(r.log).toMatch(/Invalid format ';step1' in GITHUB_ENV/);
    // The post steps still ran, the first registered last.
    expect(r.log.indexOf("step1-post")).toBeGreaterThan(-1);
    expect(r.log).toMatch(/Expected 'empty;step1;step2;step2-post;step1-post' but got 'empty'/);
  }, 60_000);

  it("workflow_dispatch-scalar-composite-action succeeds", async () => {
    const r = await runCase("workflow_dispatch-scalar-composite-action/workflow_dispatch.yml", "workflow_dispatch");
    expect(r.conclusion, r.log).toBe("success");
  }, 60_000);

  it("uses-nested-composite gets Node 16 from setup-node, installed into the tool cache", async () => {
    const r = await runCase("uses-nested-composite/push.yml");
    expect(r.conclusion, r.log).toBe("success");
    expect(r.log).toMatch(/Using Node.js 16\.\d+\.\d+ from the tool cache/);
  }, 120_000);
});
