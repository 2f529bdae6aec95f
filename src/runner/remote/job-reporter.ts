/**
 * Sends one job's progress to the server: log lines batched into chunks with
 * sequence numbers, and step updates, through one ordered outbox. A failed
 * send is retried with the same sequence numbers, which the server appends
 * idempotently, so a retry never duplicates a line. Text is masked here once
 * more before it leaves the machine. Each line starts with the time the
 * runner saw it (`2024-05-01T10:00:00.123Z `), as in GitHub's raw logs: the
 * web UI shows it when time stamps are on, downloaded logs keep it, and
 * `slipway logs` reads it off. Where the server takes step updates with log
 * chunks (`logs-with-steps`), both go in one request; where it takes the
 * log's tail with the completion (`complete-with-logs`), `takeTail` hands
 * over what is still unsent instead of sending it.
 */
import type { Masker } from "../../lib/index.js";
import type { LogChunk, StepUpdateBody } from "../../protocol/index.js";
import { isLeaseLost, isTransient, type ProtocolClient } from "./protocol-client.js";
import { createBackoff, DEFAULT_RETRY_POLICY, sleep, type OutageLog, type RetryPolicy } from "./retry.js";

export interface JobReporterOptions {
  client: ProtocolClient;
  credential: string;
  jobId: number;
  leaseToken: string;
  masker: Masker;
  /** Called once when the server says the lease is gone. */
  onLeaseLost(): void;
  /**
   * How long lines wait to be batched, in ms. Default 500, the cadence of
   * GitHub's runner's live console: a job that ends sooner sends its whole
   * log with its completion, and a chatty step costs two requests a second.
   */
  flushIntervalMs?: number;
  /** Bytes after which a chunk is closed. Default 64 KiB. */
  chunkBytes?: number;
  /** When aborted, sends that keep failing are given up instead of retried. */
  giveUp?: AbortSignal;
  /** Bytes of unsent log kept while the server cannot be reached; later lines are dropped and counted. Default 32 MiB. */
  maxBufferedBytes?: number;
  /** Backoff between attempts of a failing send. */
  retry?: Pick<RetryPolicy, "initialDelayMs" | "maxDelayMs">;
  /** Where failed and recovered sends are told (the runner's one outage log). */
  outage?: OutageLog;
  sleep?: (ms: number) => Promise<void>;
  warn?: (message: string) => void;
  /** The clock lines are stamped with. */
  now?: () => Date;
  /** Whether the server records step updates sent with log chunks (`logs-with-steps`). */
  stepsWithLogs?: boolean;
}

export interface JobReporter {
  log(step: number, line: string): void;
  step(update: StepUpdateBody): void;
  /** Sends everything still buffered; resolves when the outbox is empty or the lease is lost. */
  flush(): Promise<void>;
  /** Flushes and stops the timer. */
  close(): Promise<void>;
  /**
   * Stops the timer and answers the unsent chunks for the completion to
   * carry (after a send under way has ended), dropping the unsent step
   * updates, which the completion's steps supersede. When more than one
   * request's worth is unsent, all of it is sent now and the tail is empty.
   * Null when the lease is lost.
   */
  takeTail(): Promise<LogChunk[] | null>;
  /** Whether the server said this runner no longer holds the job. */
  readonly leaseLost: boolean;
}

const MAX_CHUNKS_PER_REQUEST = 500;
const MAX_REQUEST_BYTES = 2 * 1024 * 1024;

export function createJobReporter(options: JobReporterOptions): JobReporter {
  const { client, credential, jobId, leaseToken, masker } = options;
  const flushIntervalMs = options.flushIntervalMs ?? 500;
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const pause = options.sleep ?? ((ms: number) => sleep(ms, options.giveUp));
  const backoff = createBackoff(options.retry ?? DEFAULT_RETRY_POLICY);
  const maxBuffered = options.maxBufferedBytes ?? 32 * 1024 * 1024;
  const now = options.now ?? (() => new Date());
  let seq = 0;
  let buffered = 0;
  let dropped = 0;
  /** The chunk being filled, per step. */
  const open = new Map<number, { lines: string[]; bytes: number }>();
  const ready: LogChunk[] = [];
  const steps: StepUpdateBody[] = [];
  let leaseLost = false;
  let sending: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  function seal(step: number): void {
    const chunk = open.get(step);
    if (!chunk || chunk.lines.length === 0) return;
    open.delete(step);
    ready.push({ step, seq: seq++, data: chunk.lines.join("") });
  }

  /** Says how many lines were dropped, once there is room again. */
  function reportDropped(): void {
    if (dropped === 0 || buffered > maxBuffered / 2) return;
    const text = `##[warning]${dropped} log line(s) were dropped while the server could not be reached\n`;
    dropped = 0;
    buffered += text.length;
    ready.push({ step: -1, seq: seq++, data: text });
  }

  function sealAll(): void {
    for (const step of [...open.keys()]) seal(step);
  }

  function schedule(): void {
    if (timer || leaseLost) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, flushIntervalMs);
  }

  function lost(): void {
    if (leaseLost) return;
    leaseLost = true;
    ready.length = 0;
    steps.length = 0;
    open.clear();
    options.onLeaseLost();
  }

  /** Retries transient failures with backoff, through outages of any length, until the send succeeds or the lease is lost. */
  async function deliver(send: () => Promise<unknown>): Promise<boolean> {
    backoff.reset();
    for (;;) {
      try {
        await send();
        options.outage?.recovered();
        return true;
      } catch (error) {
        if (isLeaseLost(error)) {
          lost();
          return false;
        }
        if (!isTransient(error)) {
          // A chunk the server refuses would block every later one: report and drop it.
          options.warn?.(`job ${jobId}: the server refused an update: ${(error as Error).message}`);
          return true;
        }
        if (options.giveUp?.aborted) {
          ready.length = 0;
          steps.length = 0;
          return false;
        }
        options.outage?.failed(error);
        await pause(backoff.next());
      }
    }
  }

  /** How many of the ready chunks fit one request, and their bytes. */
  function nextBatch(): { n: number; bytes: number } {
    let bytes = 0;
    let n = 0;
    while (n < ready.length && n < MAX_CHUNKS_PER_REQUEST && (n === 0 || bytes + ready[n]!.data.length <= MAX_REQUEST_BYTES)) {
      bytes += ready[n]!.data.length;
      n++;
    }
    return { n, bytes };
  }

  async function drain(): Promise<void> {
    while (!leaseLost && (ready.length > 0 || steps.length > 0)) {
      if (ready.length > 0) {
        const { n, bytes } = nextBatch();
        const batch = ready.slice(0, n);
        // The step updates ride along once every chunk before them is in this request.
        const withSteps = options.stepsWithLogs === true && n === ready.length ? steps.slice(0, 1000) : [];
        if (await deliver(() => client.appendLogs(credential, jobId, leaseToken, batch, withSteps.length > 0 ? withSteps : undefined))) {
          ready.splice(0, n);
          steps.splice(0, withSteps.length);
          buffered -= bytes;
          reportDropped();
        }
        continue;
      }
      const batch = steps.slice(0, 1000);
      if (await deliver(() => client.sendSteps(credential, jobId, leaseToken, batch))) steps.splice(0, batch.length);
    }
  }

  function flush(): Promise<void> {
    sealAll();
    if (sending) return sending.then(() => (ready.length > 0 || steps.length > 0 ? flush() : undefined));
    sending = drain().finally(() => {
      sending = null;
    });
    return sending;
  }

  return {
    log(step, line) {
      if (leaseLost) return;
      const text = `${now().toISOString()} ${masker.mask(line.replace(/\r?\n$/, ""))}\n`;
      if (buffered + text.length > maxBuffered) {
        dropped++;
        return;
      }
      buffered += text.length;
      let chunk = open.get(step);
      if (!chunk) open.set(step, (chunk = { lines: [], bytes: 0 }));
      chunk.lines.push(text);
      chunk.bytes += text.length;
      if (chunk.bytes >= chunkBytes) {
        seal(step);
        void flush();
      } else {
        schedule();
      }
    },
    step(update) {
      if (leaseLost) return;
      // Lines of a step go out before the step's own update.
      sealAll();
      steps.push(update.name === undefined ? update : { ...update, name: masker.mask(update.name) });
      schedule();
    },
    flush,
    async close() {
      if (timer) clearTimeout(timer);
      timer = null;
      await flush();
    },
    async takeTail() {
      if (timer) clearTimeout(timer);
      timer = null;
      sealAll();
      if (sending) await sending;
      if (ready.length > nextBatch().n) await flush();
      if (leaseLost) return null;
      const tail = ready.splice(0);
      steps.length = 0;
      buffered = 0;
      return tail;
    },
    get leaseLost() {
      return leaseLost;
    },
  };
}
