/**
 * An OpenFeature server provider that evaluates in process with the compiled
 * evaluator, fed by a sync source. Lifecycle, as flagd's in-process providers:
 * NOT_READY until the first valid flag set, then READY; STALE when the change
 * stream is lost (the last good set keeps serving); back to READY once a
 * reconnect fetched the set again. Reconnects back off exponentially with
 * jitter, capped. A new set emits PROVIDER_CONFIGURATION_CHANGED with the
 * keys of the flags that changed. An invalid document is reported and
 * ignored: the last good set stays.
 *
 * With `usage`, each evaluation adds one to a counter per flag and served
 * variant (two map look-ups, nothing else on the evaluation's path); the
 * counts are handed to `usage.send` every `intervalMs` and on close, off the
 * evaluation's path. A failed send keeps its counts for the next one.
 */
import {
  OpenFeatureEventEmitter,
  ProviderEvents,
  type EvaluationContext as OpenFeatureContext,
  type ErrorCode,
  type JsonValue as OpenFeatureJson,
  type Provider,
  type ResolutionDetails,
} from "@openfeature/server-sdk";
import { isSlipwayError } from "../lib/index.js";
import { compileFlagSet, diffFlagSets, type CompiledFlagSet } from "./evaluator.js";
import type { FractionalVersion } from "./operators.js";
import { sleep, type FlagSyncEvent, type FlagSyncSource } from "./sync.js";
import type { EvaluationContext, FlagEvaluation, FlagValueType } from "./types.js";

export type ProviderLifecycle = "NOT_READY" | "READY" | "STALE";

export interface BackoffOptions {
  /** First delay; default 500 ms. */
  initialMs?: number;
  /** Cap; default 30 s. */
  maxMs?: number;
  /** Random source in [0, 1); default Math.random. */
  random?: () => number;
}

export interface SlipwayProviderOptions {
  source: FlagSyncSource;
  fractional?: FractionalVersion;
  /** Clock for `$flagd.timestamp`, in milliseconds. */
  now?: () => number;
  backoff?: BackoffOptions;
  /** How long initialize() waits for the first flag set; default 10 s. The provider keeps trying after. */
  initTimeoutMs?: number;
  /** Receives problems the provider recovers from (invalid documents, lost streams). */
  onWarning?: (message: string) => void;
  /** Count evaluations per flag and variant and send the counts periodically. */
  usage?: UsageReporting;
}

/** Evaluations of one flag that served one variant ("" when none was served: code default, error). */
export interface EvaluationCount {
  flag: string;
  variant: string;
  count: number;
}

export interface UsageReporting {
  send: (counts: EvaluationCount[], signal: AbortSignal) => Promise<void>;
  /** Default 10 s. */
  intervalMs?: number;
}

/** Counts kept between two sends; beyond this many distinct flag/variant pairs new ones are dropped (keys come from the application). */
const MAX_COUNTED_PAIRS = 10_000;

/** Equal-jitter exponential backoff: half the capped exponential delay, plus up to as much at random. */
export function computeBackoff(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (options.random ?? Math.random)() * (ceiling / 2);
}

function toResolution<T>(evaluation: FlagEvaluation<T>): ResolutionDetails<T> {
  const details: ResolutionDetails<T> = {
    value: evaluation.value,
    variant: evaluation.variant,
    reason: evaluation.reason,
    flagMetadata: evaluation.flagMetadata,
  };
  if (evaluation.errorCode !== undefined) {
    details.errorCode = evaluation.errorCode as ErrorCode;
    details.errorMessage = evaluation.errorMessage;
  }
  return details;
}

export class SlipwayFlagProvider implements Provider {
  readonly metadata = { name: "slipway-flags" } as const;
  readonly runsOn = "server" as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly options: SlipwayProviderOptions;
  private current: CompiledFlagSet | undefined;
  private state: ProviderLifecycle = "NOT_READY";
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private initializing = true;
  private firstSet: { resolve: () => void; promise: Promise<void> };
  private lastError: Error | undefined;
  /** flag -> its served variants and their evaluations since the last send (a flag has few variants: a scan beats a map). */
  private counts = new Map<string, { variants: string[]; counts: number[] }>();
  private countedPairs = 0;
  private usageTimer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;

  constructor(options: SlipwayProviderOptions) {
    this.options = options;
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.firstSet = { resolve, promise };
  }

  /** NOT_READY, READY or STALE. */
  get lifecycle(): ProviderLifecycle {
    return this.state;
  }

  /** The flag set being served, for callers that evaluate synchronously or serve OFREP. */
  get flagSet(): CompiledFlagSet | undefined {
    return this.current;
  }

  async initialize(): Promise<void> {
    this.loop ??= this.run();
    const usage = this.options.usage;
    if (usage && !this.usageTimer) {
      this.usageTimer = setInterval(() => void this.sendUsage(), usage.intervalMs ?? 10_000);
      this.usageTimer.unref();
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.options.initTimeoutMs ?? 10_000);
    });
    const outcome = await Promise.race([this.firstSet.promise, timeout]);
    clearTimeout(timer);
    this.initializing = false;
    if (outcome === "timeout") {
      const why = this.lastError ? `: ${this.lastError.message}` : "";
      throw new Error(`no flag set from ${this.options.source.name} yet${why}`);
    }
  }

  async onClose(): Promise<void> {
    clearInterval(this.usageTimer);
    this.usageTimer = undefined;
    await this.sendUsage();
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.abort = new AbortController();
  }

  /** Evaluations counted and not sent yet. */
  pendingUsage(): EvaluationCount[] {
    const out: EvaluationCount[] = [];
    for (const [flag, c] of this.counts) c.variants.forEach((variant, i) => out.push({ flag, variant, count: c.counts[i]! }));
    return out;
  }

  private count(flagKey: string, variant: string, n: number): void {
    let c = this.counts.get(flagKey);
    if (!c) {
      if (this.countedPairs >= MAX_COUNTED_PAIRS) return;
      c = { variants: [], counts: [] };
      this.counts.set(flagKey, c);
    }
    const i = c.variants.indexOf(variant);
    if (i >= 0) c.counts[i]! += n;
    else if (this.countedPairs < MAX_COUNTED_PAIRS) {
      this.countedPairs++;
      c.variants.push(variant);
      c.counts.push(n);
    }
  }

  /** Hands the counts so far to `usage.send`; on failure they are added back for the next send. One send at a time. */
  private async sendUsage(): Promise<void> {
    const usage = this.options.usage;
    if (!usage || this.sending || this.counts.size === 0) return this.sending;
    const batch = this.pendingUsage();
    this.counts = new Map();
    this.countedPairs = 0;
    const signal = AbortSignal.timeout(10_000);
    this.sending = usage
      .send(batch, signal)
      .catch((error: unknown) => {
        for (const row of batch) this.count(row.flag, row.variant, row.count);
        this.warn(`evaluation counts not sent: ${(error as Error).message}`);
      })
      .finally(() => {
        this.sending = undefined;
      });
    return this.sending;
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  /** Compiles and installs a document; false (and a warning) when it is invalid. */
  private install(document: unknown): boolean {
    let next: CompiledFlagSet;
    try {
      next = compileFlagSet(document, { fractional: this.options.fractional, now: this.options.now, source: this.options.source.name });
    } catch (error) {
      this.lastError = error as Error;
      const details = isSlipwayError(error) && error.details.length > 0 ? `: ${error.details.map((d) => d.message).join("; ")}` : "";
      this.warn(`ignored an invalid flag set from ${this.options.source.name}: ${(error as Error).message}${details}`);
      return false;
    }
    const previous = this.current;
    this.current = next;
    if (previous) {
      const flagsChanged = diffFlagSets(previous, next);
      if (flagsChanged.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged });
    }
    return true;
  }

  private markReady(): void {
    if (this.state === "READY") return;
    const wasReadyBefore = this.state === "STALE";
    this.state = "READY";
    this.firstSet.resolve();
    // The SDK announces the first READY itself when initialize() resolves.
    if (wasReadyBefore || !this.initializing) this.events.emit(ProviderEvents.Ready);
  }

  private onEvent(event: FlagSyncEvent, signal: AbortSignal): void {
    if (event.type === "document") {
      this.install(event.document);
      return;
    }
    this.options.source.fetch(signal).then(
      (snapshot) => this.install(snapshot.document),
      (error: Error) => {
        if (!signal.aborted) this.warn(`refetch from ${this.options.source.name} failed: ${error.message}`);
      },
    );
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const source = this.options.source;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        const snapshot = await source.fetch(signal);
        if (this.install(snapshot.document) || this.current) {
          this.markReady();
          attempt = 0;
          await source.watch((event) => this.onEvent(event, signal), signal);
          if (!signal.aborted) this.warn(`the stream from ${source.name} ended`);
        }
      } catch (error) {
        if (signal.aborted) break;
        this.lastError = error as Error;
        this.warn(`sync from ${source.name} failed: ${(error as Error).message}`);
      }
      if (signal.aborted) break;
      if (this.state === "READY") {
        this.state = "STALE";
        this.events.emit(ProviderEvents.Stale, { message: `lost the stream from ${source.name}; serving the last flag set` });
      }
      await sleep(computeBackoff(attempt++, this.options.backoff), signal);
    }
  }

  /** Evaluates synchronously; PROVIDER_NOT_READY before the first flag set. */
  evaluate<T>(flagKey: string, type: FlagValueType | undefined, defaultValue: T, context?: EvaluationContext): FlagEvaluation<T> {
    const set = this.current;
    if (!set) {
      return { flagKey, value: defaultValue, reason: "ERROR", errorCode: "PROVIDER_NOT_READY", errorMessage: "no flag set yet", flagMetadata: {} };
    }
    const evaluation = set.evaluate(flagKey, type, defaultValue, context);
    if (this.options.usage) this.count(flagKey, evaluation.variant ?? "", 1);
    return evaluation;
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: OpenFeatureContext): Promise<ResolutionDetails<boolean>> {
    return toResolution(this.evaluate(flagKey, "boolean", defaultValue, context as EvaluationContext));
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: OpenFeatureContext): Promise<ResolutionDetails<string>> {
    return toResolution(this.evaluate(flagKey, "string", defaultValue, context as EvaluationContext));
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: OpenFeatureContext): Promise<ResolutionDetails<number>> {
    return toResolution(this.evaluate(flagKey, "number", defaultValue, context as EvaluationContext));
  }

  async resolveObjectEvaluation<T extends OpenFeatureJson>(flagKey: string, defaultValue: T, context: OpenFeatureContext): Promise<ResolutionDetails<T>> {
    return toResolution(this.evaluate(flagKey, "object", defaultValue, context as EvaluationContext));
  }
}
