/**
 * Job reports: the step summary (Markdown) and annotations a job leaves when
 * it completes. One row per job, removed with the job.
 */
import type { Annotation } from "../protocol/index.js";
import { fromJson, nowIso, toNum, type StoreContext } from "./context.js";

/** What a finished job left besides its log: the step summary and its annotations. */
interface JobReport {
  jobId: number;
  /** Markdown from GITHUB_STEP_SUMMARY, already masked by the runner. */
  summary: string;
  /** The summary was cut to the caller's size limit. */
  summaryTruncated: boolean;
  annotations: Annotation[];
  createdAt: string;
}

export interface NewJobReport {
  summary: string;
  summaryTruncated?: boolean;
  annotations: Annotation[];
}

export interface JobReportStore {
  /** Stores (or replaces) the job's summary and annotations. */
  saveJobReport(jobId: number, report: NewJobReport): Promise<JobReport>;
  /** Null when the job left no report (or does not exist). */
  getJobReport(jobId: number): Promise<JobReport | null>;
}

interface JobReportRow {
  job_id: number | string;
  summary: string;
  summary_truncated: number | string;
  annotations: string;
  created_at: string;
}

function mapReport(row: JobReportRow): JobReport {
  return {
    jobId: toNum(row.job_id),
    summary: row.summary,
    summaryTruncated: toNum(row.summary_truncated) !== 0,
    annotations: fromJson<Annotation[]>(row.annotations) ?? [],
    createdAt: row.created_at,
  };
}

export function createJobReportStore(ctx: StoreContext): JobReportStore {
  const { db } = ctx;
  return {
    async saveJobReport(jobId, report) {
      const values = {
        job_id: jobId,
        summary: report.summary,
        summary_truncated: report.summaryTruncated ? 1 : 0,
        annotations: JSON.stringify(report.annotations),
        created_at: nowIso(ctx),
      };
      const row = await db
        .insertInto("job_reports")
        .values(values)
        .onConflict((oc) =>
          oc.column("job_id").doUpdateSet({ summary: values.summary, summary_truncated: values.summary_truncated, annotations: values.annotations, created_at: values.created_at }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return mapReport(row);
    },
    async getJobReport(jobId) {
      const row = await db.selectFrom("job_reports").selectAll().where("job_id", "=", jobId).executeTakeFirst();
      return row ? mapReport(row) : null;
    },
  };
}
