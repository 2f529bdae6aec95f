import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/workflow/index.js";
import { readRolloutInputs, readVerifyInputs, releaseActionInputChecks } from "../../src/release/index.js";

function validate(steps: string): { line?: number; col?: number; message: string }[] {
  const text = `on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;
  const result = parseWorkflow("deploy.yml", text, { actionInputChecks: releaseActionInputChecks });
  return result.errors.map((e) => ({ line: e.position?.line, col: e.position?.col, message: e.message }));
}

describe("release action inputs at workflow validation", () => {
  it("accepts a well-formed verify and rollout", () => {
    const errors = validate(`      - uses: slipway/verify@v1
        with:
          metrics: |
            - name: ok
              interval: 1s
              count: 3
              prometheus: {address: "http://127.0.0.1:9090", query: "up"}
              successCondition: result[0] >= 0.99
      - uses: slipway/rollout@v1
        with:
          traffic: |
            haproxy: {socket: /run/haproxy.sock, backend: app, stable: a, canary: b}
          steps: |
            - setWeight: 10
            - pause: {duration: 5s}
            - analysis:
                metrics:
                  - name: health
                    http: {url: "http://127.0.0.1/healthz", status: 200}
            - setWeight: 100
`);
    expect(errors).toEqual([]);
  });

  it("points at an unknown provider inside the block scalar", () => {
    const errors = validate(`      - uses: slipway/verify@v1
        with:
          metrics: |
            - name: latency
              datadog: {query: x}
`);
    expect(errors).toHaveLength(2);
    // line 9 is `- name: latency`, line 10 `datadog:` at column 15
    expect(errors[0]).toMatchObject({ line: 9, col: 15 });
    expect(errors[0]!.message).toMatch(/metrics\[0\]: the metric needs one provider.*`datadog` is not a provider/);
    expect(errors[1]).toMatchObject({ line: 10, col: 15 });
  });

  it("reports a condition that is not a valid expression, and one over another context", () => {
    const errors = validate(`      - uses: slipway/verify@v1
        with:
          metrics: |
            - name: rate
              prometheus: {address: "http://p:9090", query: up}
              successCondition: result[0] >=
              failureCondition: github.sha == 'x'
`);
    expect(errors.map((e) => [e.line, e.col])).toEqual([
      [11, 33],
      [12, 33],
    ]);
    expect(errors[0]!.message).toMatch(/successCondition.*not a valid expression/);
    expect(errors[1]!.message).toMatch(/failureCondition.*sees only `result`/);
  });

  it("refuses weights outside 0–100 and malformed metrics in rollout steps", () => {
    const errors = validate(`      - uses: slipway/rollout@v1
        with:
          traffic: |
            haproxy: {socket: /s, backend: app, stable: a, canary: b}
          steps: |
            - setWeight: 150
            - analysis:
                metrics:
                  - name: x
                    command: ./check.sh
                    count: zero
`);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ line: 11, col: 26 });
    expect(errors[0]!.message).toMatch(/steps\[0\]\.setWeight.*0 to 100/);
    expect(errors[1]).toMatchObject({ line: 16, col: 28 });
    expect(errors[1]!.message).toMatch(/count.*whole number/);
  });

  it("reports YAML syntax errors, unknown inputs and leaves ${{ }} values to run time", () => {
    const errors = validate(`      - uses: slipway/verify@v1
        with:
          metric: x
      - uses: slipway/verify@v1
        with:
          metrics: |
            - name: [unclosed
      - uses: slipway/verify@v1
        with:
          metrics: |
            - name: fine
              count: \${{ inputs.count }}
              command: "true"
      - uses: slipway/rollout@v1
        with:
          traffic: |
            haproxy: {socket: \${{ env.SOCKET }}, backend: app, stable: a, canary: b}
          steps: |
            - setWeight: \${{ inputs.weight }}
`);
    expect(errors.map((e) => e.line)).toHaveLength(2);
    expect(errors[0]!.line).toBe(8);
    // The parser notices the unclosed flow sequence at the end of the block: lines 12–13.
    expect(errors[1]!.line).toBeGreaterThanOrEqual(12);
    expect(errors[1]!.line).toBeLessThanOrEqual(13);
    expect(errors[0]!.message).toMatch(/unknown input `metric`/);
    expect(errors[1]!.message).toMatch(/YAML syntax error/);
  });

  it("reads inputs at run time and names the field of a problem", () => {
    const spec = readVerifyInputs("slipway/verify@v1", { metrics: "- name: a\n  command: exit 0\n  dryRun: true\n" });
    expect(spec.metrics[0]).toMatchObject({ name: "a", dryRun: true, provider: { kind: "command", run: "exit 0" } });
    expect(() => readRolloutInputs("slipway/rollout@v1", { traffic: "flag: {key: f, variant: on}", steps: "- setWeight: -1" })).toThrow(
      /steps\[0\]\.setWeight: `setWeight` must be a whole number from 0 to 100/,
    );
    const hosts = readRolloutInputs("slipway/rollout@v1", { traffic: "hosts: {list: [a, b, c, d], batchSize: 2, minimumHealthy: 50%, deploy: ./d.sh}" });
    expect(hosts).toMatchObject({ steps: [{ kind: "setWeight", weight: 100 }], target: { kind: "hosts", batchSize: 2, minimumHealthy: { percent: 50 } } });
  });
});
