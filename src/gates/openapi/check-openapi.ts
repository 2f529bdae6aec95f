import picomatch from "picomatch";
import { formatPosition, SlipwayError } from "../../lib/index.js";
import { diffDocuments } from "./diff-operations.js";
import type { OpenApiDocument } from "./load-openapi.js";
import { DiffContext, describeOperation, type OpenApiFinding } from "./model.js";
import { CHANGE_CHECKS, CHANGE_RULES, type ChangeLevel } from "./rules.js";

const RANK: Record<ChangeLevel, number> = { INFO: 0, WARN: 1, ERR: 2 };

/** One entry of an ignore list: every given field must match; `path` is a glob over the operation's path. */
interface OpenApiIgnoreRule {
  id?: string;
  path?: string;
  method?: string;
}

export interface OpenApiGateOptions {
  /** Only these oasdiff checks run (e.g. "RequestParameterTypeChangedCheck"); default every check. */
  checks?: readonly string[];
  /** The lowest level reported; default INFO. */
  minLevel?: ChangeLevel;
  /** The level at or above which the gate fails; default ERR. */
  failOn?: ChangeLevel;
  /** Per-id level changes; "NONE" drops the id. */
  levels?: Readonly<Record<string, ChangeLevel | "NONE">>;
  ignore?: readonly OpenApiIgnoreRule[];
  /**
   * Compare path-level parameters as part of every operation (oasdiff's --flatten-params).
   * Default false, as in oasdiff: changes to path-level parameters are then not reported.
   */
  flattenParams?: boolean;
  /** The date sunsets are compared with; default now. */
  now?: Date;
  /**
   * The deprecation window, in days: an operation deprecated by the change must
   * name an x-sunset at least this far from `now` (oasdiff's
   * --deprecation-days-stable). Default 0: no window, as oasdiff's checks run
   * without one.
   */
  deprecationDays?: number;
}

export interface OpenApiGateResult {
  findings: OpenApiFinding[];
  /** True when a finding is at or above `failOn`. */
  breaking: boolean;
  counts: Record<ChangeLevel, number>;
}

function matchesIgnore(finding: OpenApiFinding, rule: OpenApiIgnoreRule): boolean {
  if (rule.id !== undefined && rule.id !== finding.id) return false;
  if (rule.method !== undefined && rule.method.toLowerCase() !== finding.operation?.method) return false;
  if (rule.path !== undefined) {
    if (!finding.operation) return false;
    if (rule.path !== finding.operation.path && !picomatch.isMatch(finding.operation.path, rule.path)) return false;
  }
  return true;
}

/** Refuses check names and rule ids that do not exist: a typo would silently turn a gate off. */
function validateOptions(options: OpenApiGateOptions): void {
  for (const check of options.checks ?? []) {
    if (!CHANGE_CHECKS.has(check)) throw new SlipwayError("CONFIG_INVALID", `unknown OpenAPI check "${check}"`, { hint: "Use an oasdiff check name such as RequestParameterTypeChangedCheck." });
  }
  const ids = [...Object.keys(options.levels ?? {}), ...(options.ignore ?? []).flatMap((rule) => (rule.id === undefined ? [] : [rule.id]))];
  for (const id of ids) {
    if (!CHANGE_RULES.has(id)) throw new SlipwayError("CONFIG_INVALID", `unknown OpenAPI change id "${id}"`, { hint: "Use an oasdiff change id such as request-parameter-type-changed." });
  }
}

/** Diffs base against revision, classifies every change, and applies the options. */
export function checkOpenApiCompatibility(base: OpenApiDocument, revision: OpenApiDocument, options: OpenApiGateOptions = {}): OpenApiGateResult {
  validateOptions(options);
  const ctx = new DiffContext(base, revision, options.now ?? new Date(), options.flattenParams ?? false, options.deprecationDays ?? 0);
  diffDocuments(ctx);
  const checks = options.checks ? new Set(options.checks) : undefined;
  const minRank = RANK[options.minLevel ?? "INFO"];
  const findings: OpenApiFinding[] = [];
  for (const finding of ctx.findings) {
    if (checks && !checks.has(finding.check)) continue;
    const override = options.levels?.[finding.id];
    if (override === "NONE") continue;
    const level = override ?? finding.level;
    if (RANK[level] < minRank) continue;
    if (options.ignore?.some((rule) => matchesIgnore(finding, rule))) continue;
    findings.push(level === finding.level ? finding : { ...finding, level });
  }
  findings.sort((a, b) => RANK[b.level] - RANK[a.level]);
  const counts: Record<ChangeLevel, number> = { ERR: 0, WARN: 0, INFO: 0 };
  for (const f of findings) counts[f.level]++;
  const failRank = RANK[options.failOn ?? "ERR"];
  return { findings, breaking: findings.some((f) => RANK[f.level] >= failRank), counts };
}

const HEADINGS: ReadonlyArray<readonly [ChangeLevel, string]> = [
  ["ERR", "Breaking changes"],
  ["WARN", "Possibly breaking changes"],
  ["INFO", "Other changes"],
];

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, "\\$1");
}

/** A Markdown changelog for a job summary: one section per level, findings grouped by operation. */
export function formatOpenApiChangelog(result: OpenApiGateResult): string {
  const out: string[] = [];
  const { ERR, WARN, INFO } = result.counts;
  out.push(`## API changes: ${result.breaking ? "breaking" : "compatible"}`, "");
  out.push(`${ERR} breaking, ${WARN} possibly breaking, ${INFO} other.`);
  for (const [level, heading] of HEADINGS) {
    const group = result.findings.filter((f) => f.level === level);
    if (group.length === 0) continue;
    out.push("", `### ${heading}`, "");
    const byOperation = new Map<string, OpenApiFinding[]>();
    for (const f of group) {
      const key = describeOperation(f.operation);
      byOperation.set(key, [...(byOperation.get(key) ?? []), f]);
    }
    for (const [operation, list] of byOperation) {
      out.push(`- **${escapeMarkdown(operation)}**`);
      for (const f of list) out.push(`  - ${escapeMarkdown(f.message)} (\`${f.id}\`, ${escapeMarkdown(formatPosition(f.position))})`);
    }
  }
  return `${out.join("\n")}\n`;
}
