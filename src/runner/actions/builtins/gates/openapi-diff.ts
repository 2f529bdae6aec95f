/**
 * `uses: slipway/openapi-diff@v1`: compares an OpenAPI 3.0/3.1 document with
 * its base version and classifies each change with oasdiff's ids and levels
 * (src/gates/openapi). The base is a file (`base-spec`), the document a
 * running service serves (`base-spec` as an http(s) URL, e.g. the deployed
 * release's), or the same path at the base commit (a pull request's base, a
 * push's `before`, or `base-ref`). `spec` may be a URL too.
 * Each change is an annotation on the spec's line, the changelog goes to the
 * job summary, and the step fails at `fail-on` (default ERR: breaking).
 */
import path from "node:path";
import { SlipwayError } from "../../../../lib/index.js";
import { checkOpenApiCompatibility, formatOpenApiChangelog, loadOpenApiFile, parseOpenApi, type ChangeLevel, type OpenApiGateOptions } from "../../../../gates/index.js";
import type { UsesContext, UsesStepResult } from "../../../uses.js";
import { getBooleanInput, getInput, getMultilineInput, type BuiltinAction } from "../../builtin.js";
import { baseRefOf, fileAt } from "./base-commit.js";

const LEVELS: readonly ChangeLevel[] = ["ERR", "WARN", "INFO"];
const ANNOTATION_LEVEL = { ERR: "error", WARN: "warning", INFO: "notice" } as const;

/** `ignore:` lines: a change id, optionally followed by a method and a path glob (`response-property-removed GET /users/*`). */
function ignoreRules(context: UsesContext): NonNullable<OpenApiGateOptions["ignore"]> {
  return getMultilineInput(context, "ignore").map((line) => {
    const [id, method, routePath] = line.split(/\s+/);
    return { ...(id && id !== "*" ? { id } : {}), ...(method ? { method } : {}), ...(routePath ? { path: routePath } : {}) };
  });
}

/** Longest a served document may take to answer, and its largest size. */
const FETCH_TIMEOUT_MS = 30_000;
const FETCH_MAX_BYTES = 64 * 1024 * 1024;

const isUrl = (value: string): boolean => /^https?:\/\//i.test(value);

/** The document a running service serves at `url`, parsed; GATE_INPUT_INVALID saying why when it cannot be had. */
async function fetchSpec(context: UsesContext, input: string, url: string) {
  const fail = (why: string) =>
    new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: ${input} ${url}: ${why}`, { hint: "Check that the service is up and serves its OpenAPI document at that URL, reachable from the runner." });
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json, application/yaml;q=0.9, */*;q=0.5" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (error) {
    throw fail(`cannot be fetched (${(error as Error).name === "TimeoutError" ? `no answer in ${FETCH_TIMEOUT_MS / 1000} s` : (error as Error).message})`);
  }
  if (!response.ok) throw fail(`answered ${response.status} ${response.statusText}`.trim());
  if (Number(response.headers.get("content-length") ?? 0) > FETCH_MAX_BYTES) throw fail(`is larger than ${FETCH_MAX_BYTES / 1024 / 1024} MiB`);
  const text = await response.text();
  if (text.length > FETCH_MAX_BYTES) throw fail(`is larger than ${FETCH_MAX_BYTES / 1024 / 1024} MiB`);
  return parseOpenApi(text, url);
}

function deprecationDaysOf(context: UsesContext): number {
  const raw = getInput(context, "deprecation-days") || "0";
  const days = Number(raw);
  if (!Number.isInteger(days) || days < 0) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: deprecation-days must be a whole number of days (0 or more), got '${raw}'`);
  return days;
}

async function run(context: UsesContext): Promise<UsesStepResult> {
  const spec = getInput(context, "spec");
  if (spec === "") throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: the spec input is required (the OpenAPI document's path in the repository)`);
  const failOnInput = (getInput(context, "fail-on") || "ERR").toUpperCase();
  if (failOnInput !== "NEVER" && !LEVELS.includes(failOnInput as ChangeLevel)) {
    throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: fail-on must be ERR, WARN, INFO or never, got '${failOnInput}'`);
  }
  const deprecationDays = deprecationDaysOf(context);
  const display = isUrl(spec) ? spec : spec.split(path.sep).join("/");
  const revision = isUrl(spec) ? await fetchSpec(context, "spec", spec) : loadOpenApiFile(path.resolve(context.workspace, spec));
  revision.file = display;

  const baseSpec = getInput(context, "base-spec");
  let base;
  let baseName: string;
  if (baseSpec !== "") {
    base = isUrl(baseSpec) ? await fetchSpec(context, "base-spec", baseSpec) : loadOpenApiFile(path.resolve(context.workspace, baseSpec));
    baseName = baseSpec;
  } else {
    const ref = baseRefOf(context);
    if (!ref) throw new SlipwayError("GATE_INPUT_INVALID", `${context.uses}: no base to compare with: this event names no base commit`, { hint: "Pass base-spec (a file) or base-ref (a commit or branch)." });
    const text = await fileAt(context, ref, display);
    baseName = `${display}@${ref.slice(0, 12)}`;
    if (text === null) {
      context.log(`${display} does not exist at ${ref.slice(0, 12)}: a new API, nothing to compare.`);
      context.setOutput("breaking", "false");
      context.appendSummary(`## API changes: new document\n\n${display} is new since ${ref.slice(0, 12)}.\n`);
      return { outcome: "success" };
    }
    base = parseOpenApi(text, baseName);
  }

  const result = checkOpenApiCompatibility(base, revision, {
    failOn: failOnInput === "NEVER" ? "ERR" : (failOnInput as ChangeLevel),
    ignore: ignoreRules(context),
    flattenParams: getBooleanInput(context, "flatten-params", false),
    deprecationDays,
  });
  for (const finding of result.findings) {
    // A served document has no file in the repository to annotate: the message names the operation.
    const where = isUrl(spec) ? {} : finding.side === "revision" ? { file: display, line: finding.position.line, col: finding.position.col } : { file: display };
    context.annotate({ level: ANNOTATION_LEVEL[finding.level], title: finding.id, message: finding.side === "base" ? `${finding.message} (was at ${baseName}:${finding.position.line})` : finding.message, ...where });
  }
  context.log(`Compared ${display} with ${baseName}: ${result.counts.ERR} breaking, ${result.counts.WARN} possibly breaking, ${result.counts.INFO} other.`);
  context.setOutput("breaking", String(result.breaking));
  context.setOutput("changes", String(result.findings.length));
  context.appendSummary(formatOpenApiChangelog(result));
  if (result.breaking && failOnInput !== "NEVER") return { outcome: "failure", error: `${display} has changes at or above ${failOnInput} since ${baseName}: see the annotations and the job summary.` };
  return { outcome: "success" };
}

export function createOpenApiDiffAction(): BuiltinAction {
  return { names: ["slipway/openapi-diff"], run: (context) => run(context) };
}
