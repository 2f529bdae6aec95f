/**
 * Jobs that look like they publish (a package, a release): a push runs them
 * locally as on GitHub, so `slipway run` warns before it starts them and
 * names the way to leave them out.
 */
import type { RunPlan } from "../engine/index.js";

/** Commands in `run:` scripts that publish. */
const PUBLISH_COMMANDS: { pattern: RegExp; label: string }[] = [
  { pattern: /\b(npm|yarn|pnpm|bun)\s+(?:[-\w=]+\s+)*publish\b/, label: "$1 publish" },
  { pattern: /\bgh\s+release\s+(create|upload|edit)\b/, label: "gh release $1" },
  { pattern: /\bchangeset\s+publish\b/, label: "changeset publish" },
  { pattern: /\bsemantic-release\b/, label: "semantic-release" },
  { pattern: /\blerna\s+publish\b/, label: "lerna publish" },
  { pattern: /\b(twine\s+upload|cargo\s+publish|gem\s+push|docker\s+push)\b/, label: "$1" },
];

/** Actions that publish, by `owner/repo` (any version). */
const PUBLISH_ACTIONS = [
  "softprops/action-gh-release",
  "changesets/action",
  "js-devtools/npm-publish",
  "ncipollo/release-action",
  "actions/create-release",
  "cycjimmy/semantic-release-action",
  "googleapis/release-please-action",
  "pypa/gh-action-pypi-publish",
  "svenstaro/upload-release-action",
];

export interface PublishingJob {
  workflow: string;
  jobId: string;
  name: string;
  /** What gave it away, e.g. `npm publish` or `softprops/action-gh-release`. */
  evidence: string;
}

function evidenceOf(step: { run?: string; uses?: string }): string | undefined {
  if (step.uses) {
    const action = step.uses.split("@")[0]!.toLowerCase().split("/").slice(0, 2).join("/");
    if (PUBLISH_ACTIONS.includes(action)) return step.uses.split("@")[0];
  }
  if (step.run) {
    for (const { pattern, label } of PUBLISH_COMMANDS) {
      const m = pattern.exec(step.run);
      if (m) return label.replace(/\$(\d)/g, (_, n: string) => m[Number(n)] ?? "");
    }
  }
  return undefined;
}

/** The planned jobs (not left out) whose steps look like publishing. */
export function findPublishingJobs(plan: RunPlan): PublishingJob[] {
  const found: PublishingJob[] = [];
  for (const pw of plan.workflows) {
    for (const pj of pw.jobs) {
      if (pj.excluded) continue;
      for (const step of pj.job.steps) {
        const evidence = evidenceOf(step);
        if (evidence) {
          found.push({ workflow: pw.file, jobId: pj.id, name: pj.name, evidence });
          break;
        }
      }
    }
  }
  return found;
}

/** The warning printed before the run starts. */
export function describePublishingJobs(jobs: PublishingJob[]): string {
  const lines = jobs.map((j) => `  ${j.workflow}: job '${j.jobId}' (${j.evidence})`);
  const skip = [...new Set(jobs.map((j) => `--skip-job ${j.jobId}`))].join(" ");
  return [
    "these jobs look like they publish, and run here as they would on GitHub:",
    ...lines,
    `to leave them out: ${skip} (or run one job with -j JOB)`,
  ].join("\n");
}
