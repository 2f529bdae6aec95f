import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runJob, type RunJobOptions } from "../../src/runner/index.js";
import type { Step } from "../../src/workflow/index.js";
import type { Annotation, JobRequest, JobResult, StepResult } from "../../src/protocol/index.js";

let stepCounter = 0;

/** A step as the workflow parser would produce it, from the few fields a test cares about. */
export function step(fields: Partial<Omit<Step, "index" | "position">> & { index?: number }): Step {
  return {
    index: fields.index ?? stepCounter++,
    with: {},
    env: {},
    continueOnError: false,
    position: { file: "test.yml", line: 1, col: 1 },
    ...fields,
  } as Step;
}

export function request(steps: Omit<Step, "index">[] | Step[], extra: Partial<JobRequest> = {}): JobRequest {
  return {
    key: "test",
    jobId: "test",
    name: "test",
    workflowFile: ".github/workflows/test.yml",
    matrix: null,
    contexts: {
      github: {
        sha: "0123456789abcdef0123456789abcdef01234567",
        ref: "refs/heads/main",
        ref_name: "main",
        ref_type: "branch",
        repository: "acme/widgets",
        repository_owner: "acme",
        event_name: "push",
        run_id: "42",
        run_number: "7",
        run_attempt: "1",
        actor: "octocat",
        workflow: "CI",
        server_url: "https://github.com",
        api_url: "https://api.github.com",
        head_ref: "",
        base_ref: "",
        event: { ref: "refs/heads/main", pusher: { name: "octocat" } },
      },
      secrets: {},
      vars: {},
      inputs: {},
      matrix: {},
      needs: {},
      strategy: {},
    },
    env: {},
    defaults: {},
    steps: steps.map((s, i) => ({ ...s, index: i }) as Step),
    outputs: {},
    timeoutMinutes: 10,
    envTemplates: [],
    secrets: { source: "run" },
    ...extra,
  };
}

interface Recorded {
  logs: { step: number; line: string }[];
  annotations: { step: number; annotation: Annotation }[];
  groups: string[];
  started: { index: number; name: string }[];
  completed: StepResult[];
}

export interface Harness {
  workspace: string;
  tempDir: string;
  recorded: Recorded;
  run(req: JobRequest, options?: Partial<RunJobOptions>): Promise<JobResult>;
  /** Log lines of one step. */
  lines(stepIndex: number): string[];
  cleanup(): void;
}

export function createHarness(): Harness {
  const root = mkdtempSync(path.join(os.tmpdir(), "slipway-runner-test-"));
  const workspace = path.join(root, "workspace");
  const tempDir = path.join(root, "temp");
  const recorded: Recorded = { logs: [], annotations: [], groups: [], started: [], completed: [] };
  let tempCount = 0;
  return {
    workspace,
    tempDir,
    recorded,
    async run(req, options = {}) {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(workspace, { recursive: true });
      const jobTemp = `${tempDir}-${tempCount++}`;
      mkdirSync(jobTemp, { recursive: true });
      return runJob(req, {
        workspace,
        tempDir: jobTemp,
        hostEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? root },
        labels: ["self-hosted", "linux"],
        runnerName: "test-runner",
        signal: new AbortController().signal,
        killGraceMs: 500,
        events: {
          log: (s, line) => recorded.logs.push({ step: s, line }),
          annotation: (s, annotation) => recorded.annotations.push({ step: s, annotation }),
          groupStarted: (_s, title) => recorded.groups.push(`start:${title}`),
          groupEnded: () => recorded.groups.push("end"),
          stepStarted: (s) => recorded.started.push(s),
          stepCompleted: (r) => recorded.completed.push(r),
        },
        ...options,
      });
    },
    lines(stepIndex) {
      return recorded.logs.filter((l) => l.step === stepIndex).map((l) => l.line);
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function run(script: string, fields: Partial<Omit<Step, "index" | "position">> = {}): Step {
  return step({ run: script, ...fields });
}

