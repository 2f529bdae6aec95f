/**
 * The summary and annotations a runner's completion carries, read and capped
 * as the server stores them.
 */
import type { Annotation } from "../../protocol/index.js";
import type { NewJobReport } from "../../store/index.js";

/** GitHub keeps at most 1 MiB of step summary per step; Slipway keeps 1 MiB per job. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;
/** GitHub keeps at most 50 annotations per job (10 per step and level); Slipway keeps the first 100. */
export const MAX_ANNOTATIONS = 100;
const ANNOTATION_LEVELS = new Set(["error", "warning", "notice"]);

/** The summary and annotations of a completion body, capped; undefined when it carries neither. */
export function reportOf(result: { summary?: unknown; annotations?: unknown }): NewJobReport | undefined {
  let summary = typeof result.summary === "string" ? result.summary : "";
  let summaryTruncated = false;
  if (Buffer.byteLength(summary, "utf8") > MAX_SUMMARY_BYTES) {
    // Cut on a character boundary: a partial UTF-8 sequence decodes to U+FFFD, which is dropped.
    summary = Buffer.from(summary, "utf8").subarray(0, MAX_SUMMARY_BYTES).toString("utf8").replace(/\uFFFD$/, "");
    summary += "\n\n> The step summary was cut at 1 MiB.\n";
    summaryTruncated = true;
  }
  const annotations: Annotation[] = [];
  for (const raw of Array.isArray(result.annotations) ? result.annotations : []) {
    if (annotations.length >= MAX_ANNOTATIONS) break;
    const a = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
    if (typeof a.level !== "string" || !ANNOTATION_LEVELS.has(a.level) || typeof a.message !== "string") continue;
    const int = (v: unknown) => (typeof v === "number" && Number.isInteger(v) && v > 0 ? v : undefined);
    const text = (v: unknown, max: number) => (typeof v === "string" && v !== "" ? v.slice(0, max) : undefined);
    const annotation: Annotation = { level: a.level as Annotation["level"], message: a.message.slice(0, 64 * 1024) };
    const title = text(a.title, 255);
    const file = text(a.file, 1024);
    if (title !== undefined) annotation.title = title;
    if (file !== undefined) annotation.file = file;
    for (const key of ["line", "endLine", "col", "endColumn"] as const) {
      const n = int(a[key]);
      if (n !== undefined) annotation[key] = n;
    }
    annotations.push(annotation);
  }
  if (summary === "" && annotations.length === 0) return undefined;
  return { summary, summaryTruncated, annotations };
}
