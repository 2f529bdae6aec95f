/**
 * How a job's steps and result look when they reach the server: steps
 * numbered in the order they ran, and every text masked.
 */
import type { JobResult, StepResult } from "../../protocol/index.js";

/**
 * Step numbers as the server shows them: in the order steps first appear
 * while the job runs. A job's step indexes put pre steps after the main
 * steps, but pre steps run first, and people read a job's steps in the
 * order they ran. -1 (the job's own lines) stays -1.
 */
export function stepNumbering(): (index: number) => number {
  const numbers = new Map<number, number>();
  return (index) => {
    if (index < 0) return -1;
    let n = numbers.get(index);
    if (n === undefined) {
      n = numbers.size + 1;
      numbers.set(index, n);
    }
    return n;
  };
}

/** Step names and outputs, job outputs and the error go through the masker before they are sent. */
export function maskResult(result: JobResult, mask: (text: string) => string): JobResult {
  const maskRecord = (r: Record<string, string>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, mask(v)]));
  return {
    ...result,
    outputs: maskRecord(result.outputs),
    steps: result.steps.map((s: StepResult) => ({ ...s, name: mask(s.name), outputs: maskRecord(s.outputs) })),
    annotations: result.annotations.map((a) => ({ ...a, message: mask(a.message), title: a.title === undefined ? undefined : mask(a.title) })),
    summary: mask(result.summary),
    error: result.error === undefined ? undefined : mask(result.error),
  };
}
