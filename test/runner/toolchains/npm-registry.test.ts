import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readNpmRegistry } from "../../../src/runner/index.js";

const root = mkdtempSync(path.join(os.tmpdir(), "slipway-npmrc-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function dirWith(name: string, npmrc: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, ".npmrc"), npmrc);
  return dir;
}

describe("the npm registry the user configured", () => {
  const home = dirWith("home", "registry=https://proxy.example.com/npm\n//proxy.example.com/npm/:_authToken=${NPM_TOKEN}\n//proxy.example.com/:_authToken=too-wide\n");
  const project = dirWith("project", "registry=https://project.example.com/\n//project.example.com/:_auth=dXNlcjpwYXNz\n");

  it("reads the user's npmrc, with the longest matching credential and ${VAR} expanded", () => {
    expect(readNpmRegistry({ HOME: home, NPM_TOKEN: "abc" })).toEqual({ url: "https://proxy.example.com/npm/", authorization: "Bearer abc" });
  });

  it("prefers the project's npmrc, and npm_config_registry over both", () => {
    expect(readNpmRegistry({ HOME: home }, project)).toEqual({ url: "https://project.example.com/", authorization: "Basic dXNlcjpwYXNz" });
    expect(readNpmRegistry({ HOME: home, NPM_CONFIG_REGISTRY: "https://env.example.com" }, project)).toEqual({ url: "https://env.example.com/" });
  });

  it("reads NPM_CONFIG_USERCONFIG, and defaults to registry.npmjs.org", () => {
    expect(readNpmRegistry({ HOME: root, npm_config_userconfig: path.join(project, ".npmrc") }).url).toBe("https://project.example.com/");
    expect(readNpmRegistry({ HOME: root })).toEqual({ url: "https://registry.npmjs.org/" });
  });
});
