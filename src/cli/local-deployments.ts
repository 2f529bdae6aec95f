/**
 * Protected environments in a local `slipway run`. Locally Slipway does not
 * know a server's protection rules, so one rule applies: a job naming a
 * protected environment runs only once a person said yes. An environment is
 * protected when `.slipway/environments.yml` lists it under `protected:` or
 * `--protect ENV` names it; `--approve ENV` approves it up front; otherwise,
 * at a terminal, Slipway asks "Deploy to ENV? [y/N]", and without one the job
 * fails with a message naming `--approve`. Names are case-insensitive.
 */
import fs from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { parse } from "yaml";
import { SlipwayError } from "../lib/index.js";
import type { JobExecutor, JobResult } from "../protocol/index.js";

export interface LocalDeploymentRules {
  /** Lower-cased names of protected environments. */
  protectedEnvironments: Set<string>;
  /** Lower-cased names approved on the command line. */
  approved: Set<string>;
  /** Asks a yes/no question at a terminal; absent when there is none. */
  ask?: (question: string) => Promise<string>;
}

/** The protected environments `.slipway/environments.yml` lists (`protected: [production, ...]`), or none. */
export function readProtectedEnvironments(root: string): string[] {
  const file = path.join(root, ".slipway", "environments.yml");
  if (!fs.existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new SlipwayError("CLI_USAGE", `${file}: not valid YAML (${(error as Error).message})`, { hint: "Write `protected: [production]` — a list of environment names." });
  }
  const list = (doc as { protected?: unknown } | null)?.protected;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || !list.every((e) => typeof e === "string")) {
    throw new SlipwayError("CLI_USAGE", `${file}: 'protected' must be a list of environment names`, { hint: "Write `protected: [production]` — a list of environment names." });
  }
  return list;
}

function refusal(environment: string, why: string): JobResult {
  return { conclusion: "failure", outputs: {}, steps: [], annotations: [], summary: "", error: `${why}: the job deploys to the protected environment ${environment}; run again with --approve ${environment}` };
}

/** Wraps an executor so that jobs naming a protected environment run only when approved; one answer per environment and run. */
export function gateLocalDeployments(executor: JobExecutor, rules: LocalDeploymentRules): JobExecutor {
  const answers = new Map<string, Promise<boolean>>();
  // Jobs running at once ask one after the other.
  let asking: Promise<unknown> = Promise.resolve();
  const decide = (environment: string): Promise<boolean> => {
    const key = environment.toLowerCase();
    if (rules.approved.has(key)) return Promise.resolve(true);
    let answer = answers.get(key);
    if (!answer) {
      const ask = rules.ask;
      answer = ask ? asking.then(() => ask(`Deploy to ${environment}? [y/N] `)).then((a) => /^y(es)?$/i.test(a.trim())) : Promise.resolve(false);
      asking = answer.catch(() => undefined);
      answers.set(key, answer);
    }
    return answer;
  };
  return {
    matches: (labels) => executor.matches(labels),
    async run(request, control) {
      const environment = request.environment;
      if (environment && rules.protectedEnvironments.has(environment.toLowerCase()) && !(await decide(environment))) {
        return refusal(environment, rules.ask ? "Not approved" : "Not approved (no terminal to ask at)");
      }
      return executor.run(request, control);
    },
  };
}

/** Asks one question at the terminal (prompt on stderr, so --json output stays clean). */
export async function askAtTerminal(question: string): Promise<string> {
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}
