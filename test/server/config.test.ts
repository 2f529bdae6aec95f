import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SlipwayError } from "../../src/lib/index.js";
import { loadServerConfig, renderSettingsTable, SERVER_SETTINGS } from "../../src/server/index.js";

function errorOf(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error("expected a SlipwayError");
}

describe("loadServerConfig", () => {
  it("applies documented defaults", () => {
    const config = loadServerConfig({ env: {}, cwd: "/srv/app" });
    expect(config).toMatchObject({
      port: 8080,
      host: "127.0.0.1",
      dataDir: "/srv/app/.slipway",
      databaseUrl: undefined,
      secretKey: undefined,
      adminToken: undefined,
      publicUrl: "http://127.0.0.1:8080",
      logLevel: "info",
      retentionDays: 90,
      claimWaitSeconds: 30,
    });
    for (const s of SERVER_SETTINGS) {
      if (s.default !== null && s.key !== "dataDir") expect((config as unknown as Record<string, unknown>)[s.key]).toBe(s.default);
    }
  });

  it("reads who may add repositories from a fixed set of choices", () => {
    expect(loadServerConfig({ env: {} }).repositoryCreation).toBe("admins");
    expect(loadServerConfig({ env: { SLIPWAY_REPOSITORY_CREATION: "Users" } }).repositoryCreation).toBe("users");
    expect(loadServerConfig({ flags: { "repository-creation": "admins" }, env: { SLIPWAY_REPOSITORY_CREATION: "users" } }).repositoryCreation).toBe("admins");
    const error = errorOf(() => loadServerConfig({ env: { SLIPWAY_REPOSITORY_CREATION: "everyone" } }));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("expected one of admins, users");
    expect(error.hint).toContain("--repository-creation");
  });

  it("takes flags over environment over config file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-config-"));
    const file = path.join(dir, "slipway.yml");
    writeFileSync(file, "port: 7000\nhost: 0.0.0.0\nretentionDays: 30\nlogLevel: debug\n");
    const config = loadServerConfig({
      env: { SLIPWAY_CONFIG: file, SLIPWAY_PORT: "7100", SLIPWAY_RETENTION_DAYS: "14" },
      flags: { port: "7200" },
      cwd: dir,
    });
    expect(config.port).toBe(7200);
    expect(config.retentionDays).toBe(14);
    expect(config.host).toBe("0.0.0.0");
    expect(config.logLevel).toBe("debug");
    expect(config.publicUrl).toBe("http://localhost:7200");
    expect(config.configFile).toBe(file);
  });

  it("reads JSON config files and accepts camelCase flag keys", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-config-"));
    const file = path.join(dir, "slipway.json");
    writeFileSync(file, JSON.stringify({ publicUrl: "https://ci.example.com/", dataDir: "data" }));
    const config = loadServerConfig({ configFile: file, flags: { claimWaitSeconds: 5 }, cwd: dir });
    expect(config.publicUrl).toBe("https://ci.example.com");
    expect(config.dataDir).toBe(path.join(dir, "data"));
    expect(config.claimWaitSeconds).toBe(5);
  });

  it("reads booleans", () => {
    expect(loadServerConfig({ env: { SLIPWAY_TRUST_PROXY: "yes" } }).trustProxy).toBe(true);
    expect(loadServerConfig({ env: { SLIPWAY_TRUST_PROXY: "0" } }).trustProxy).toBe(false);
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_TRUST_PROXY: "maybe" } })).message).toContain("SLIPWAY_TRUST_PROXY");
  });

  it("reads host lists from a comma-separated value or a config file's list", () => {
    expect(loadServerConfig().allowedRepositoryHosts).toEqual([]);
    expect(loadServerConfig({ env: { SLIPWAY_ALLOWED_REPOSITORY_HOSTS: "git.internal, *.corp.example,," } }).allowedRepositoryHosts).toEqual(["git.internal", "*.corp.example"]);
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-config-"));
    const file = path.join(dir, "slipway.yaml");
    writeFileSync(file, "allowedRepositoryHosts:\n  - git.internal\n  - 10.0.0.7\nallowPrivateRepositoryHosts: true\n");
    const config = loadServerConfig({ configFile: file, cwd: dir });
    expect(config.allowedRepositoryHosts).toEqual(["git.internal", "10.0.0.7"]);
    expect(config.allowPrivateRepositoryHosts).toBe(true);
    expect(config.allowLocalRepositories).toBe(false);
    const bad = errorOf(() => loadServerConfig({ env: { SLIPWAY_ALLOWED_REPOSITORY_HOSTS: "git.internal,http://x/" } }));
    expect(bad.message).toContain("SLIPWAY_ALLOWED_REPOSITORY_HOSTS");
    expect(bad.message).toContain("http://x/");
  });

  it("names the offending setting in CONFIG_INVALID", () => {
    const port = errorOf(() => loadServerConfig({ env: { SLIPWAY_PORT: "eighty" } }));
    expect(port.code).toBe("CONFIG_INVALID");
    expect(port.message).toContain("SLIPWAY_PORT");
    expect(port.hint).toContain("--port");
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_PORT: "70000" } })).message).toMatch(/SLIPWAY_PORT.*outside 0\.\.65535/);
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_LOG_LEVEL: "loud" } })).message).toContain("SLIPWAY_LOG_LEVEL");
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_PUBLIC_URL: "ftp://x" } })).message).toContain("SLIPWAY_PUBLIC_URL");
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_RETENTION_DAYS: "0" } })).message).toContain("SLIPWAY_RETENTION_DAYS");
    expect(errorOf(() => loadServerConfig({ env: { SLIPWAY_DATABASE_URL: "mysql://x" } })).message).toContain("SLIPWAY_DATABASE_URL");
  });

  it("never echoes secret settings in errors", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-config-"));
    const file = path.join(dir, "c.json");
    writeFileSync(file, JSON.stringify({ adminToken: "t".repeat(30) }));
    const fromFile = loadServerConfig({ configFile: file });
    expect(fromFile.adminToken).toBe("t".repeat(30));
    const short = errorOf(() => loadServerConfig({ env: { SLIPWAY_ADMIN_TOKEN: "tooshort-secret" } }));
    expect(short.message).toContain("at least 24 characters");
    expect(short.message).not.toContain("tooshort-secret");
    const err = errorOf(() => loadServerConfig({ env: { SLIPWAY_DATABASE_URL: "mysql://user:hunter2@db/x" } }));
    expect(err.message).not.toContain("hunter2");
  });

  it("rejects unknown keys and unreadable or malformed config files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "slipway-config-"));
    const unknown = path.join(dir, "u.yml");
    writeFileSync(unknown, "prot: 80\n");
    expect(errorOf(() => loadServerConfig({ configFile: unknown })).message).toContain("unknown setting 'prot'");
    const broken = path.join(dir, "b.json");
    writeFileSync(broken, "{");
    expect(errorOf(() => loadServerConfig({ configFile: broken })).message).toContain("not valid JSON");
    expect(errorOf(() => loadServerConfig({ configFile: path.join(dir, "missing.yml") })).message).toContain("cannot read");
  });
});

describe("settings description", () => {
  it("describes every setting with a unique env var and flag", () => {
    const envs = SERVER_SETTINGS.map((s) => s.env);
    const flags = SERVER_SETTINGS.map((s) => s.flag);
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
    for (const s of SERVER_SETTINGS) {
      expect(s.env).toMatch(/^SLIPWAY_[A-Z_]+$/);
      expect(s.flag).toMatch(/^--[a-z-]+$/);
      expect(s.description.length).toBeGreaterThan(10);
    }
    for (const name of ["SLIPWAY_PORT", "SLIPWAY_HOST", "SLIPWAY_DATA_DIR", "SLIPWAY_DATABASE_URL", "SLIPWAY_SECRET_KEY", "SLIPWAY_ADMIN_TOKEN", "SLIPWAY_CONFIG"]) {
      expect(envs).toContain(name);
    }
  });

  it("renders a Markdown table with one row per setting", () => {
    const table = renderSettingsTable().split("\n");
    expect(table).toHaveLength(SERVER_SETTINGS.length + 2);
    for (const s of SERVER_SETTINGS) expect(table.some((row) => row.includes(`\`${s.env}\``) && row.includes(`\`${s.flag}\``))).toBe(true);
  });
});
