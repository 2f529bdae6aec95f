import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createActionsHandler, createBuiltinActions } from "../../../src/runner/index.js";
import { createHarness, request, step, type Harness } from "../helpers.js";

let h: Harness;
let server: http.Server;
let url: string;
const seenAuth: string[] = [];

beforeAll(async () => {
  h = createHarness();
  server = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? "");
    res.statusCode = req.url === "/down" ? 500 : 200;
    res.end(JSON.stringify({ status: "ok" }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  h.cleanup();
});

/** The built-ins as a remote runner has them: no terminal to ask, no flag API. */
const uses = () => createActionsHandler({ builtins: createBuiltinActions() });
const secret = "tok-9f8e7d6c5b4a";

describe("slipway/verify through the runner", () => {
  it("logs a table, sets phase and measurements outputs, writes the summary, masks secrets", async () => {
    const result = await h.run(
      request([
        step({
          id: "verify",
          uses: "slipway/verify@v1",
          with: {
            metrics: `- name: health\n  interval: 10ms\n  count: 2\n  http:\n    url: ${url}/healthz\n    headers: {Authorization: "Bearer \${{ secrets.TOKEN }}"}\n    jsonPath: $.status\n    equals: ok\n- name: printed\n  command: echo 0.99 && echo ${secret} >&2\n  successCondition: result >= 0.95`,
          },
        }),
      ]),
      { uses: uses(), secrets: { TOKEN: secret } },
    );
    expect(result.conclusion).toBe("success");
    expect(seenAuth).toContain(`Bearer ${secret}`);
    const outputs = result.steps[0]!.outputs;
    expect(outputs.phase).toBe("Successful");
    const measurements = JSON.parse(outputs.measurements!) as { metric: string; phase: string; value: unknown }[];
    expect(measurements.map((m) => m.metric).sort()).toEqual(["health", "health", "printed"]);
    expect(measurements.find((m) => m.metric === "printed")!.value).toBe(0.99);
    const lines = h.lines(0);
    expect(lines.some((l) => /^metric\s+phase\s+value\s+time$/.test(l))).toBe(true);
    expect(lines.some((l) => /^health\s+Successful\s+200 in \d+ ms/.test(l))).toBe(true);
    expect(lines.join("\n")).not.toContain(secret);
    expect(result.summary).toMatch(/### Verification: Successful/);
    expect(result.summary).toMatch(/\| health \| 2 \| 2 \| 0 \| 0 \| 0 \|/);
  });

  it("fails the step on a failed analysis, with the phase in the outputs", async () => {
    const result = await h.run(
      request([step({ uses: "slipway/verify@v1", with: { metrics: `- name: down\n  http: {url: "${url}/down"}` } })]),
      { uses: uses() },
    );
    expect(result.conclusion).toBe("failure");
    expect(result.steps[0]!.outputs.phase).toBe("Failed");
  });
});

describe("slipway/rollout through the runner", () => {
  it("fails clearly when a pause waits for a promotion nobody can give (no terminal, no server), and for a flag target", async () => {
    const traffic = "hosts: {list: [a], deploy: 'true', rollback: 'true'}";
    const paused = await h.run(request([step({ uses: "slipway/rollout@v1", with: { traffic, steps: "- setWeight: 100\n- pause: {}" } })]), { uses: uses() });
    expect(paused.conclusion).toBe("failure");
    expect(paused.steps[0]!.outputs).toMatchObject({ phase: "Aborted", weight: "0" });
    expect(h.lines(0).join("\n")).toMatch(/waits for a promotion, but nobody can promote it: no terminal is attached and there is no Slipway server/);
    const flag = await h.run(request([step({ uses: "slipway/rollout@v1", with: { traffic: "flag: {key: checkout, variant: new}", steps: "- setWeight: 10" } })]), { uses: uses() });
    expect(flag.conclusion).toBe("failure");
    expect(h.lines(0).join("\n")).toMatch(/a rollout through flag checkout needs a Slipway server/);
  });

  it("rolls out over hosts in batches with the host in $SLIPWAY_HOST", async () => {
    const result = await h.run(
      request([
        step({
          id: "roll",
          uses: "slipway/rollout@v1",
          with: { traffic: 'hosts:\n  list: [web1, web2, web3]\n  batchSize: 2\n  deploy: echo "deployed $SLIPWAY_HOST"\n  validate: "true"' },
        }),
      ]),
      { uses: uses() },
    );
    expect(result.conclusion).toBe("success");
    expect(result.steps[0]!.outputs).toMatchObject({ phase: "Healthy", weight: "100" });
    const log = h.lines(0).join("\n");
    expect(log).toContain("deploying to web1, web2");
    expect(log).toContain("deploying to web3");
    expect(log).toContain("web2 | deployed web2");
  });
});
