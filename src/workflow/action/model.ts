/**
 * The typed model of an action's metadata file (action.yml / action.yaml).
 * Plain JSON data, like the workflow model, so a server can ship it to a runner.
 */
import type { Step, Template } from "../model.js";

export interface ActionInput {
  description?: string;
  required: boolean;
  /** Default value as written; may contain `${{ }}` (evaluated when the step runs). */
  default?: string;
  deprecationMessage?: string;
}

export interface ActionOutput {
  description?: string;
  /** Composite actions map each output from their steps, e.g. `${{ steps.x.outputs.y }}`. */
  value?: Template;
}

export type NodeRuntime = "node12" | "node16" | "node20" | "node24";

export interface CompositeRuns {
  using: "composite";
  steps: Step[];
}

export interface NodeRuns {
  using: NodeRuntime;
  main: string;
  pre?: string;
  post?: string;
  /** Condition for `pre`; GitHub's default is `always()`. */
  preIf?: string;
  /** Condition for `post`; GitHub's default is `always()`. */
  postIf?: string;
}

interface DockerRuns {
  using: "docker";
  image: string;
  entrypoint?: string;
  args: Template[];
  env: Record<string, Template>;
  preEntrypoint?: string;
  postEntrypoint?: string;
}

export type ActionRuns = CompositeRuns | NodeRuns | DockerRuns;

export interface ActionMetadata {
  /** Path of the metadata file as given to the parser. */
  file: string;
  name: string;
  description?: string;
  author?: string;
  inputs: Record<string, ActionInput>;
  outputs: Record<string, ActionOutput>;
  runs: ActionRuns;
}
