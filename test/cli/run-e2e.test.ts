/**
 * `slipway run` end to end: the built CLI on temporary repositories, asserting
 * on the --json document, exit codes and the log.
 */
import { describe, expect, test } from "vitest";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { cliPath, runCli } from "../support/cli.js";
import { makeRepo } from "../support/git-repo.js";

const wf = (body: string) => ({ ".github/workflows/ci.yml": body });

/** True once `pid` has exited (a zombie awaiting its reaper counts as exited). */
async function processGone(pid: number, withinMs = 3000): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    let state: string | undefined;
    try {
      state = /State:\s+(\w)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    } catch {
      return true;
    }
    if (state === "Z" || state === "X") return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("slipway run", () => {
  test("runs a job graph with needs, outputs and a matrix; --json holds every job", async () => {
    const repo = makeRepo(
      wf(`name: ci
on: push
jobs:
  version:
    runs-on: ubuntu-latest
    outputs:
      v: \${{ steps.ver.outputs.value }}
    steps:
      - id: ver
        run: echo "value=1.2.3" >> "$GITHUB_OUTPUT"
  build:
    needs: version
    runs-on: ubuntu-latest
    strategy:
      matrix:
        node: [18, 20]
        flavour: [a]
    steps:
      - run: echo "building \${{ needs.version.outputs.v }} on \${{ matrix.node }}-\${{ matrix.flavour }}"
  never:
    needs: build
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
`),
    );
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    const doc = r.json;
    expect(doc.conclusion).toBe("success");
    const byName = Object.fromEntries(doc.jobs.map((j: any) => [j.name, j]));
    expect(byName.version.outputs).toEqual({ v: "1.2.3" });
    expect(byName.version.matrix).toBeNull();
    expect(byName.version.steps[0]).toMatchObject({ id: "ver", outcome: "success", conclusion: "success", outputs: { value: "1.2.3" } });
    expect(byName["build (18, a)"]).toMatchObject({ id: "build", matrix: { node: 18, flavour: "a" }, conclusion: "success" });
    expect(byName["build (20, a)"]).toMatchObject({ id: "build", matrix: { node: 20, flavour: "a" }, conclusion: "success" });
    expect(byName.never.conclusion).toBe("skipped");
    expect(r.stderr).toContain("building 1.2.3 on 20-a");
  });

  test("an invalid workflow is rejected before anything runs, with file:line:col and exit 2", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    needs: missing
    steps:
      - run: touch ran.txt
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ github.sha ) }}
`),
    );
    const r = await runCli(["run", "--bind"], { cwd: repo });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\.github\/workflows\/ci\.yml:5:\d+: .*missing/);
    expect(r.stderr).toMatch(/\.github\/workflows\/ci\.yml:11:\d+: /);
    expect(r.stderr).toContain("hint:");
    expect(fs.existsSync(path.join(repo, "ran.txt"))).toBe(false);
  });

  test("a failing step fails the run (exit 1) and the summary shows its last lines", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - name: Broken
        run: |
          echo "about to fail: expected 3 got 4"
          exit 3
      - name: Cleanup
        if: always()
        run: echo cleaning
      - name: Skipped
        run: echo never
`),
    );
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code).toBe(1);
    expect(r.json.conclusion).toBe("failure");
    const steps = r.json.jobs[0].steps;
    expect(steps.map((s: any) => [s.name, s.conclusion])).toEqual([
      ["Broken", "failure"],
      ["Cleanup", "success"],
      ["Skipped", "skipped"],
    ]);
    const summary = r.stderr.slice(r.stderr.lastIndexOf("✗ test › Broken"));
    expect(summary).toContain("about to fail: expected 3 got 4");
  });

  test("secrets from -s, --secret-file and add-mask never reach the log", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  leak:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "token=\${{ secrets.TOKEN }}"
          printf '%s\\n' "\${{ secrets.MULTI }}"
          echo "::add-mask::runtime-value-42"
          echo "later runtime-value-42"
          echo "from env $FROM_ENV"
`),
    );
    const secretFile = path.join(repo, "..", `${path.basename(repo)}.secrets`);
    fs.writeFileSync(secretFile, 'MULTI="first-line-secret\\nsecond-line-secret"\n');
    const r = await runCli(["run", "--json", "-s", "TOKEN=hunter2-value", "-s", "FROM_ENV", "--secret-file", secretFile], {
      cwd: repo,
      env: { FROM_ENV: "env-secret-value" },
    });
    expect(r.code, r.stderr).toBe(0);
    const all = r.stdout + r.stderr;
    for (const leaked of ["hunter2-value", "first-line-secret", "second-line-secret", "runtime-value-42", "env-secret-value"]) {
      expect(all).not.toContain(leaked);
    }
    expect(r.stderr).toContain("token=***");
    expect(r.stderr).toContain("later ***");
  });

  test("a secret used in job-level env reaches the step and is masked in its log, outputs and step name", async () => {
    const repo = makeRepo(
      wf(`on: push
env:
  FROM_WORKFLOW: wf-\${{ secrets.API_KEY }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      KEY: \${{ secrets.API_KEY }}
    outputs:
      seen: \${{ steps.s.outputs.seen }}
    steps:
      - id: s
        name: uses \${{ env.KEY }}
        run: |
          echo "key=$KEY wf=$FROM_WORKFLOW length=\${#KEY}"
          echo "seen=$KEY" >> "$GITHUB_OUTPUT"
`),
    );
    const r = await runCli(["run", "--json", "-s", "API_KEY=job-env-secret-77"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("job-env-secret-77");
    // The runner evaluated the env with the released secret: the step saw its full length.
    expect(r.stderr).toContain("key=*** wf=wf-*** length=17");
    const doc = JSON.parse(r.stdout);
    expect(doc.jobs[0].steps[0].name).toBe("uses ***");
  });

  test("plain output without a TTY prefixes lines with [job/step]", async () => {
    const repo = makeRepo(wf(`on: push\njobs:\n  hello:\n    runs-on: ubuntu-latest\n    steps:\n      - name: Greet\n        run: echo hi there\n`));
    const r = await runCli(["run"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("[hello/Greet] hi there");
  });

  test("--list shows jobs, needs and matrix legs without running anything", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [x, y]
    steps:
      - run: touch ran.txt
  deploy:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: touch ran.txt
`),
    );
    const r = await runCli(["run", "-l", "--bind"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("build (x)");
    expect(r.stdout).toContain("build (y)");
    expect(r.stdout).toMatch(/deploy.*build/);
    expect(fs.existsSync(path.join(repo, "ran.txt"))).toBe(false);
  });

  test("--list --json gives the plan's shape and never a secret", async () => {
    const repo = makeRepo(wf(`on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n      T: \${{ secrets.GITHUB_TOKEN }}\n    steps:\n      - run: echo \${{ github.token }}\n`));
    const r = await runCli(["run", "-l", "--json", "-s", "GITHUB_TOKEN=ghp_listsecret42"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain("ghp_listsecret42");
    expect(r.json).toEqual({
      event: "push",
      workflows: [{ file: ".github/workflows/ci.yml", name: ".github/workflows/ci.yml", jobs: [{ id: "a", name: "a", needs: [], if: null, uses: null, matrix: null }] }],
    });
  });

  test("-j runs one job; --matrix keeps matching legs", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  a:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        n: [1, 2, 3]
    steps:
      - run: echo leg \${{ matrix.n }}
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo b
`),
    );
    const r = await runCli(["run", "--json", "-j", "a", "--matrix", "n:2"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.jobs.map((j: any) => j.name)).toEqual(["a (2)"]);
  });

  test("a job whose runs-on no runner matches is reported and skipped, not hung", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  mac:
    runs-on: macos-latest
    steps:
      - run: echo hi
  linux:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
`),
    );
    const r = await runCli(["run", "--json"], { cwd: repo, timeoutMs: 30_000 });
    const mac = r.json.jobs.find((j: any) => j.id === "mac");
    expect(mac.conclusion).toBe("skipped");
    expect(r.stderr).toMatch(/mac.*macos-latest/);
    expect(r.json.jobs.find((j: any) => j.id === "linux").conclusion).toBe("success");
  });

  test("the default workspace is a copy: the checkout is untouched; --bind runs in place", async () => {
    const repo = makeRepo(wf(`on: push\njobs:\n  w:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cat input.txt && echo out > output.txt\n`));
    fs.writeFileSync(path.join(repo, "input.txt"), "uncommitted input\n");
    const copy = await runCli(["run"], { cwd: repo });
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toContain("uncommitted input");
    expect(fs.existsSync(path.join(repo, "output.txt"))).toBe(false);
    const bind = await runCli(["run", "--bind"], { cwd: repo });
    expect(bind.code, bind.stderr).toBe(0);
    expect(fs.readFileSync(path.join(repo, "output.txt"), "utf8")).toBe("out\n");
  });

  test("trigger filters decide which workflows run", async () => {
    const repo = makeRepo({
      ".github/workflows/main-only.yml": `on:\n  push:\n    branches: [release/**]\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo release\n`,
      ".github/workflows/any.yml": `on: [push, pull_request]\njobs:\n  any:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo any\n`,
    });
    const r = await runCli(["run", "--json"], { cwd: repo });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.jobs.map((j: any) => j.id)).toEqual(["any"]);
  });

  test("Ctrl-C cancels: the step's process tree is killed and always() steps still run", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  long:
    runs-on: ubuntu-latest
    steps:
      - run: |
          sleep 300 &
          echo "child $!" > "$RUNNER_TEMP/../child.pid"
          echo tree-is-running
          wait
      - if: always()
        run: echo cleanup-ran
`),
    );
    const child = spawn(process.execPath, [cliPath, "run", "--json", "--keep-workspace"], { cwd: repo, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve) => {
      const check = () => (stderr.includes("] tree-is-running") ? resolve() : setTimeout(check, 50));
      check();
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.conclusion).toBe("cancelled");
    expect(stderr).toContain("cleanup-ran");
    const kept = /workspaces kept in (\S+)/.exec(stderr)?.[1];
    expect(kept).toBeTruthy();
    const pidFile = fs.readdirSync(path.join(kept!, "jobs")).map((d) => path.join(kept!, "jobs", d, "child.pid")).find((f) => fs.existsSync(f));
    const pid = Number(/child (\d+)/.exec(fs.readFileSync(pidFile!, "utf8"))![1]);
    expect(await processGone(pid)).toBe(true);
    fs.rmSync(kept!, { recursive: true, force: true });
  });

  test("container and services jobs fail with a clear error; other jobs still run", async () => {
    const repo = makeRepo(
      wf(`on: push
jobs:
  in-container:
    runs-on: ubuntu-latest
    container: node:20
    steps:
      - run: touch ran-in-container.txt
  with-db:
    runs-on: ubuntu-latest
    services:
      db:
        image: postgres:16
    steps:
      - run: touch ran-with-db.txt
  plain:
    runs-on: ubuntu-latest
    steps:
      - run: echo fine
`),
    );
    const r = await runCli(["run", "--json", "--bind"], { cwd: repo });
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(r.json.jobs.map((j: any) => [j.id, j]));
    expect(byId["in-container"].conclusion).toBe("failure");
    expect(byId["with-db"].conclusion).toBe("failure");
    expect(byId.plain.conclusion).toBe("success");
    expect(r.stderr).toContain("job 'in-container' declares container: node:20, which needs Docker");
    expect(r.stderr).toContain("job 'with-db' declares services: db, which needs Docker");
    expect(fs.existsSync(path.join(repo, "ran-in-container.txt"))).toBe(false);
    expect(fs.existsSync(path.join(repo, "ran-with-db.txt"))).toBe(false);
  });

  test("bad flags exit 2 with a clear message", async () => {
    const repo = makeRepo(wf(`on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`));
    const noValue = await runCli(["run", "-s", "NOT_SET_ANYWHERE"], { cwd: repo, env: { NOT_SET_ANYWHERE: undefined } });
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain("secret NOT_SET_ANYWHERE has no value");
    const badEvent = await runCli(["run", "-e", "/nonexistent/event.json"], { cwd: repo });
    expect(badEvent.code).toBe(2);
    expect(badEvent.stderr).toContain("/nonexistent/event.json does not exist");
    const unknown = await runCli(["run", "--no-such-flag"], { cwd: repo });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option");
  });
});
