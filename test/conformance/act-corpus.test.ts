/**
 * Runs every case of the act corpus (../shared/corpus/act, see its README)
 * through the built CLI, the way act runs them: the whole testdata folder is
 * the workspace, one fresh copy per case. Prints a pass table.
 *
 * Cases that cannot pass on principle are listed in KNOWN_DIFFERENCES with
 * the reason (the README's "Differences from GitHub and act" repeats them).
 * A listed case that starts passing fails the test, so the list stays true.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli, sharedCorpus } from "../support/cli.js";

const corpus = path.join(sharedCorpus, "act");
const present = fs.existsSync(path.join(corpus, "MANIFEST.tsv"));
if (!present) console.warn(`[act corpus] ${corpus} is absent: the act conformance suite is skipped`);

interface Row {
  case: string;
  workflow: string;
  event: string;
  expected: string;
  notes: string;
}

function readManifest(): Row[] {
  const lines = fs.readFileSync(path.join(corpus, "MANIFEST.tsv"), "utf8").split("\n").filter(Boolean);
  return lines.slice(1).map((l) => {
    const [c, workflow, event, expected, , notes] = l.split("\t");
    return { case: c!, workflow: workflow!, event: event!, expected: expected!, notes: notes ?? "" };
  });
}

/** Why a case cannot pass, by `case|workflow`. */
export const KNOWN_DIFFERENCES: Record<string, string> = {
  "issue-1595|issue-1595/no-event.yml":
    "a workflow without `on:` is invalid on GitHub, so Slipway rejects it (exit 2); act plans zero stages",
  "input-from-cli|input-from-cli/input.yml":
    "passes an undeclared input and omits required ones: GitHub rejects both, and so does Slipway",
  "artifacts-testdata/GHSL-2023-004|artifacts-testdata/GHSL-2023-004/artifacts.yml":
    "talks to act's own artifact-server HTTP protocol with curl; Slipway's artifact actions are built in",
  "uses-composite-with-pre-and-post-steps|uses-composite-with-pre-and-post-steps/push.yml":
    "its actions append to GITHUB_ENV without a newline, relying on act's one env file per job; GitHub (and Slipway) give each step a fresh file",
};

const SEPARATE_ROOTS = ["model-testdata", "artifacts-testdata", "exprparser-testdata"];

function expectedExit(expected: string): number {
  // GitHub reads only the top level of .github/workflows; Slipway does not recurse either.
  if (expected.includes("success when not recursing")) return 0;
  if (expected.startsWith("success")) return 0;
  if (expected.startsWith("failure")) return 1;
  return 2;
}

/** Flags act's own tests pass for a case (its .actrc, dotenv files, event.json, matrix filters). */
function extraFlags(row: Row, workspace: string): string[] {
  const dir = path.join(workspace, path.dirname(row.workflow));
  const flags: string[] = [];
  if (fs.existsSync(path.join(dir, "event.json"))) flags.push("-e", path.join(dir, "event.json"));
  switch (row.case) {
    case "secrets":
      flags.push("--secret-file", path.join(dir, ".secrets"), "--env-file", path.join(dir, ".env"));
      break;
    case "input-from-cli":
      flags.push("--input", "SOME_INPUT=input");
      break;
    case "matrix-with-user-inclusions":
      flags.push("--matrix", "node:8", "--matrix", "node:8.x", "--matrix", "os:ubuntu-18.04");
      break;
    case "uses-workflow":
      flags.push("-s", "secret=keep_it_private");
      break;
    case "if-env-act":
      flags.push("--env", "ACT=true");
      break;
  }
  return flags;
}

/**
 * The corpus's JavaScript actions run `dist/index.js`, an ncc bundle that was
 * not copied (see the corpus README). This stand-in does what their index.js
 * does with plain Node: read the input from INPUT_WHO-TO-GREET, greet, set the
 * `time` output through GITHUB_OUTPUT and print the event payload.
 */
const JS_ACTION_STAND_IN = `const fs = require("fs");
const name = process.env["INPUT_WHO-TO-GREET"];
if (!name) { console.log("::error::input who-to-greet is missing"); process.exit(1); }
console.log("Hello " + name + "!");
fs.appendFileSync(process.env.GITHUB_OUTPUT, "time=" + new Date().toTimeString() + "\\n");
const payload = JSON.parse(fs.readFileSync(process.env.GITHUB_EVENT_PATH, "utf8"));
console.log("The event payload: " + JSON.stringify(payload, undefined, 2));
`;

function writeJsActionStandIns(root: string): void {
  for (const name of ["node12", "node16", "node20"]) {
    const dist = path.join(root, "actions", name, "dist");
    if (!fs.existsSync(path.join(root, "actions", name, "action.yml"))) continue;
    fs.mkdirSync(dist, { recursive: true });
    fs.writeFileSync(path.join(dist, "index.js"), JS_ACTION_STAND_IN);
    // the action's package.json says "type": "module"; the stand-in is CommonJS
    fs.writeFileSync(path.join(dist, "package.json"), '{ "type": "commonjs" }\n');
  }
}

function gitInit(dir: string): void {
  const g = (...args: string[]) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  g("init", "-q", "-b", "master");
  g("config", "user.name", "nektos/act");
  g("config", "user.email", "act@example.com");
  g("config", "commit.gpgsign", "false");
  g("remote", "add", "origin", "https://github.com/nektos/act.git");
  g("add", "-A");
  g("commit", "-q", "-m", "corpus");
}

interface Outcome {
  row: Row;
  ok: boolean;
  detail: string;
}

describe.skipIf(!present)("act corpus conformance", () => {
  const rows = present ? readManifest() : [];
  const outcomes: Outcome[] = [];
  let templates: Record<string, string> = {};
  let scratch = "";

  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "slipway-act-"));
    const main = path.join(scratch, "template-main");
    fs.cpSync(corpus, main, {
      recursive: true,
      filter: (src) => !SEPARATE_ROOTS.includes(path.relative(corpus, src)),
    });
    writeJsActionStandIns(main);
    gitInit(main);
    templates = { main };
    for (const root of ["model-testdata", "artifacts-testdata"]) {
      const t = path.join(scratch, `template-${root}`);
      fs.cpSync(path.join(corpus, root), t, { recursive: true });
      gitInit(t);
      templates[root] = t;
    }
  });

  afterAll(() => {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    if (outcomes.length === 0) return;
    const passed = outcomes.filter((o) => o.ok).length;
    const lines = outcomes
      .sort((a, b) => a.row.case.localeCompare(b.row.case) || a.row.workflow.localeCompare(b.row.workflow))
      .map((o) => {
        const known = KNOWN_DIFFERENCES[`${o.row.case}|${o.row.workflow}`];
        const mark = o.ok ? "pass" : known ? "diff" : "FAIL";
        return `${mark}  ${o.row.workflow.padEnd(60)} ${known && !o.ok ? `known difference: ${known}` : o.detail}`;
      });
    const known = outcomes.filter((o) => !o.ok && `${o.row.case}|${o.row.workflow}` in KNOWN_DIFFERENCES).length;
    console.log(`\nact corpus: ${passed} of ${outcomes.length} cases behave as expected; ${known} differ on principle (see the README)\n${lines.join("\n")}\n`);
  });

  test.concurrent.each(rows.map((r) => [`${r.workflow} (${r.event})`, r] as const))("%s", async (_name, row) => {
    const key = `${row.case}|${row.workflow}`;
    const root = SEPARATE_ROOTS.find((r) => row.workflow.startsWith(`${r}/`));
    const template = templates[root ?? "main"]!;
    const workspace = fs.mkdtempSync(path.join(scratch, "case-"));
    fs.cpSync(template, workspace, { recursive: true, verbatimSymlinks: true });
    const workflow = root ? row.workflow.slice(root.length + 1) : row.workflow;
    const loadOnly = row.event.startsWith("n/a");
    const args = loadOnly
      ? ["run", "-n", "-W", path.join(workspace, workflow), "-C", workspace]
      : ["run", row.event, "-W", path.join(workspace, workflow), "-C", workspace, "--bind", "--json", ...extraFlags(row, workspace)];
    // act runs these cases in a container whose environment has no SHELL; `defaults-run` asserts on
    // the SHELL that bash sets only when it is unset. Without this the outcome would depend on the host.
    const result = await runCli(args, { cwd: workspace, timeoutMs: 90_000, env: { SHELL: undefined, SLIPWAY_TOOL_CACHE: path.join(scratch, "tool-cache") } });
    fs.rmSync(workspace, { recursive: true, force: true });
    const want = expectedExit(row.expected);
    let ok = result.code === want && (loadOnly || want === 2 || result.json?.conclusion === (want === 0 ? "success" : "failure"));
    let detail = ok ? row.expected : `expected exit ${want} (${row.expected}), got ${result.code}: ${lastLines(result.stderr)}`;
    // The case's real intent (act's own assertion is vacuous, see MANIFEST): masked values never show
    // in what steps print. Lines quoting the `::add-mask::` command itself show workflow text, as on GitHub.
    const printed = (result.stdout + result.stderr).split("\n").filter((l) => !l.includes("::add-mask::"));
    if (row.case === "mask-values" && printed.some((l) => /secret value|YWJjCg==/.test(l))) {
      ok = false;
      detail = "a masked value reached the log";
    }
    outcomes.push({ row, ok, detail });
    if (key in KNOWN_DIFFERENCES) {
      expect(ok, `${key} is listed as a known difference but now behaves as expected: remove it from the list`).toBe(false);
    } else {
      expect(ok, detail).toBe(true);
    }
  });
});

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-4).join(" | ").slice(0, 600);
}
