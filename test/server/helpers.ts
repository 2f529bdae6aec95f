import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { JobRequest } from "../../src/protocol/index.js";
import { openStore, type Repository, type Store } from "../../src/store/index.js";
import { createServer, generateToken, hashToken, loadServerConfig, createServerLogger, type ServerConfig, type ServerDeps } from "../../src/server/index.js";

export const ADMIN_TOKEN = "slp_test-admin-token-0123456789abcdef";
export const SECRET_KEY = "a".repeat(64);

export interface TestServer {
  app: FastifyInstance;
  store: Store;
  config: ServerConfig;
  dir: string;
  /** Everything the server logged, one JSON line per entry. */
  logs: string[];
  printed: string[];
  close(): Promise<void>;
}

export async function startTestServer(
  options: {
    env?: Record<string, string>;
    /** Server dependencies, or a function building them over the test's store, data dir and configuration. */
    deps?: Partial<ServerDeps> | ((setup: { store: Store; dir: string; config: ServerConfig }) => Partial<ServerDeps>);
    adminToken?: string | null;
  } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "slipway-server-"));
  const env: Record<string, string> = {
    SLIPWAY_DATA_DIR: dir,
    SLIPWAY_SECRET_KEY: SECRET_KEY,
    SLIPWAY_LOG_LEVEL: "info",
    ...(options.adminToken === null ? {} : { SLIPWAY_ADMIN_TOKEN: options.adminToken ?? ADMIN_TOKEN }),
    ...options.env,
  };
  const config = loadServerConfig({ env, cwd: dir });
  const store = await openStore({ dataDir: dir });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n")) if (line) logs.push(line);
      cb();
    },
  });
  const printed: string[] = [];
  const app = await createServer(config, {
    store,
    logger: createServerLogger({ level: "info", format: "json", stream: sink }),
    print: (m) => printed.push(m),
    ...(typeof options.deps === "function" ? options.deps({ store, dir, config }) : options.deps),
  });
  return {
    app,
    store,
    config,
    dir,
    logs,
    printed,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** Creates a user with an API token (scopes default to admin, i.e. the user's full rights). */
export async function createUserWithToken(
  store: Store,
  login: string,
  options: { isAdmin?: boolean; scopes?: string[]; role?: { repo: Repository; role: "read" | "write" | "maintain" | "admin" } } = {},
): Promise<string> {
  const user = (await store.getUserByLogin(login)) ?? (await store.createUser({ login, isAdmin: options.isAdmin ?? false }));
  const token = generateToken("api");
  await store.createApiToken({ userId: user.id, name: `${login} token`, tokenHash: hashToken(token), scopes: options.scopes ?? ["admin"] });
  if (options.role) await store.setRepositoryRole(user.id, options.role.repo.id, options.role.role);
  return token;
}

/** Registers a repository through the API; returns it and its webhook secret. */
export async function registerRepo(app: FastifyInstance, owner = "acme", name = "widgets"): Promise<{ repo: Record<string, any>; webhookSecret: string }> {
  const res = await app.inject({ method: "POST", url: "/api/v3/repos", headers: auth(ADMIN_TOKEN), payload: { owner, name, git_url: "https://git.example/acme/widgets.git" } });
  if (res.statusCode !== 201) throw new Error(`repo registration failed: ${res.statusCode} ${res.body}`);
  const repo = res.json();
  return { repo, webhookSecret: repo.webhook_secret };
}

/** A minimal planned job. */
export function sampleRequest(key: string): JobRequest {
  return {
    key,
    jobId: key,
    name: key,
    workflowFile: ".github/workflows/ci.yml",
    matrix: null,
    contexts: { github: { repository: "acme/widgets" } },
    env: {},
    defaults: {},
    steps: [],
    outputs: {},
    timeoutMinutes: 360,
    envTemplates: [],
    secrets: { source: "run" },
  };
}

/** A CI workflow of two jobs run on push, the repository fixtures' usual workflow. */
export const CI_WORKFLOW = `name: CI
on: push
jobs:
  build:
    runs-on: linux
    steps:
      - run: echo build
  deploy:
    needs: build
    runs-on: linux
    steps:
      - run: echo deploy
`;

/** A workflow_dispatch workflow with one string input. */
export const DEPLOY_WORKFLOW = `name: Deploy
on:
  workflow_dispatch:
    inputs:
      environment:
        type: string
jobs:
  deploy:
    runs-on: linux
    steps:
      - run: echo deploy
`;
