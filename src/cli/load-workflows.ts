/**
 * Finds and parses the workflow files of a local run (-W): one file, or the
 * `*.yml`/`*.yaml` files directly inside a folder, as GitHub reads
 * `.github/workflows`. Every error of every file is reported at once.
 */
import fs from "node:fs";
import path from "node:path";
import { SlipwayError, type SlipwayErrorDetail } from "../lib/index.js";
import { parseWorkflow, type Workflow } from "../workflow/index.js";
import { releaseActionInputChecks } from "../release/index.js";

function listWorkflowFiles(target: string): string[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    throw new SlipwayError("WORKFLOW_NOT_FOUND", `no workflow file or folder at ${target}`);
  }
  if (st.isFile()) return [target];
  const files = fs
    .readdirSync(target, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => path.join(target, e.name))
    .sort();
  if (files.length === 0) throw new SlipwayError("WORKFLOW_NOT_FOUND", `no *.yml or *.yaml workflow files in ${target}`);
  return files;
}

/** `display` turns an absolute path into the name used in messages (relative to the repository). */
export function loadWorkflows(target: string, display: (file: string) => string): { workflows: Workflow[] } {
  const files = listWorkflowFiles(target);
  const workflows: Workflow[] = [];
  const errors: SlipwayErrorDetail[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      errors.push({ message: `${display(file)} cannot be read`, position: { file: display(file), line: 1, col: 1 } });
      continue;
    }
    const parsed = parseWorkflow(display(file), text, { actionInputChecks: releaseActionInputChecks });
    errors.push(...parsed.errors);
    if (parsed.workflow) workflows.push(parsed.workflow);
  }
  if (errors.length > 0) {
    const count = errors.length === 1 ? "1 error" : `${errors.length} errors`;
    throw new SlipwayError("WORKFLOW_INVALID", `invalid workflow (${count})`, { details: errors });
  }
  return { workflows };
}
