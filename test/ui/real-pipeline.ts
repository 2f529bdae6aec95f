/**
 * The whole server for UI tests, started as `slipway server` starts it
 * (startServer: store, run pipeline, embedded runner, the UI's files), over
 * a real socket with a temporary data directory and a known admin token. A
 * user and a file:// repository are created through the API, as a person
 * would with the CLI.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startServer, type RunningServer } from "../../src/cli/index.js";
import { makeRepo } from "../support/git-repo.js";
import { freePort } from "../support/net.js";

export const PIPELINE_ADMIN_TOKEN = "ui-real-admin-token-0123456789abcdef";

export interface PipelineServer {
  url: string;
  running: RunningServer;
  /** The repository's working copy (registered as file://). */
  repoDir: string;
  /** A scratch folder the workflows may write to (e.g. a marker that makes a retry pass). */
  scratch: string;
  api<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; data: T }>;
  close(): Promise<void>;
}


/** Workflows of the test repository; `scratch` is an absolute folder for marker files. */
function pipelineWorkflows(scratch: string): Record<string, string> {
  const marker = path.join(scratch, "tests-fixed");
  return {
    ".github/workflows/ci.yml": `name: CI
on:
  workflow_dispatch:
    inputs:
      greeting:
        description: What the build says
        type: string
        default: hello
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - name: Compile
        run: |
          for i in 1 2 3 4 5 6 7 8 9 10; do echo "compile line $i says \${{ inputs.greeting }}"; sleep 0.4; done
          echo "## Build report" >> "$GITHUB_STEP_SUMMARY"
          echo "Compiled **10** modules." >> "$GITHUB_STEP_SUMMARY"
          echo "::warning file=src/app.ts,line=3,title=Lint::unused variable"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - name: Prepare
        run: echo preparing
      - name: Run tests
        run: |
          echo "running tests"
          if [ -f "${marker}" ]; then echo "all green"; exit 0; fi
          touch "${marker}"
          echo "::error file=src/cart.ts,line=7::total is off by one"
          exit 1
`,
    ".github/workflows/broken.yml": "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n",
    ".github/workflows/slow.yml": `name: Slow
on: workflow_dispatch
jobs:
  wait:
    runs-on: ubuntu-latest
    steps:
      - name: Wait a long time
        run: |
          echo "waiting started"
          sleep 120
          echo "waiting finished"
`,
    ".github/workflows/bundle.yml": `name: Bundle
on: workflow_dispatch
jobs:
  prepare:
    runs-on: ubuntu-latest
    steps:
      - run: echo prepared
  check:
    needs: prepare
    runs-on: ubuntu-latest
    strategy:
      matrix:
        part: [one, two]
    steps:
      - run: echo "checking \${{ matrix.part }}"
  pack:
    needs: [prepare, check]
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir -p out
          echo "bundle contents" > out/bundle.txt
      - uses: actions/upload-artifact@v4
        with:
          name: bundle
          path: out
`,
    ".github/workflows/secret.yml": `name: Uses a secret
on: workflow_dispatch
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - name: Print the token
        env:
          TOKEN: \${{ secrets.DEPLOY_TOKEN }}
        run: |
          echo "token is $TOKEN"
          echo "done printing"
`,
    ".github/workflows/environment.yml": `name: Deploys
on: workflow_dispatch
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - name: Print the production token
        run: echo "production token is [\${{ secrets.PROD_TOKEN }}]"
  plain:
    runs-on: ubuntu-latest
    steps:
      - name: Print it without the environment
        run: echo "plain token is [\${{ secrets.PROD_TOKEN }}]"
`,
  };
}

export async function startPipelineServer(uiDir: string, user: { login: string; password: string }): Promise<PipelineServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "slipway-ui-pipeline-"));
  const scratch = mkdtempSync(path.join(tmpdir(), "slipway-ui-scratch-"));
  const repoDir = makeRepo(pipelineWorkflows(scratch), { origin: "https://git.example/acme/shop.git" });
  // The public URL must be known up front: cookie-authenticated writes are checked against its origin.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const running = await startServer(
    {
      settings: {
        port: String(port),
        host: "127.0.0.1",
        "public-url": url,
        "data-dir": dataDir,
        "secret-key": "c".repeat(64),
        "log-level": "silent",
        "lease-seconds": "10",
        "claim-wait-seconds": "2",
      },
      embeddedRunner: true,
      runnerCapacity: 2,
      uiDir,
    },
    { env: { ...process.env, SLIPWAY_ADMIN_TOKEN: PIPELINE_ADMIN_TOKEN }, cwd: dataDir, print: () => undefined, version: "test" },
  );
  const api = async <T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; data: T }> => {
    const response = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${PIPELINE_ADMIN_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, data: (text ? JSON.parse(text) : null) as T };
  };
  const expectStatus = (what: string, got: { status: number; data: unknown }, status: number) => {
    if (got.status !== status) throw new Error(`${what}: ${got.status} ${JSON.stringify(got.data)}`);
  };
  // A person without instance rights who administers the one repository.
  expectStatus("create user", await api("POST", "/api/v3/users", { login: user.login, password: user.password, site_admin: false }), 201);
  expectStatus("register repository", await api("POST", "/api/v3/repos", { owner: "acme", name: "shop", git_url: `file://${repoDir}`, default_branch: "main" }), 201);
  expectStatus("grant admin", await api("PUT", `/api/v3/repos/acme/shop/collaborators/${user.login}`, { permission: "admin" }), 204);
  return {
    url,
    running,
    repoDir,
    scratch,
    api,
    async close() {
      await running.close({ cancelJobs: true });
      for (const dir of [dataDir, scratch, repoDir]) rmSync(dir, { recursive: true, force: true });
    },
  };
}
