/**
 * Runs flagd-testbed cases through Slipway's provider and the OpenFeature
 * server SDK. The corpus is read at run time from <repo root>/../shared.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { OpenFeature, type Client, type EvaluationContext, type EvaluationDetails, type FlagValue, type JsonValue, type Provider } from "@openfeature/server-sdk";
import { SlipwayFlagProvider, createStaticSyncSource, type FractionalVersion } from "../../../src/flags/index.js";
import type { GherkinCase } from "./gherkin.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** <repo root>/../shared/corpus/flagd; SLIPWAY_SHARED_DIR names another shared directory (a worktree elsewhere). */
export const flagdCorpus = path.join(process.env.SLIPWAY_SHARED_DIR ?? path.join(repoRoot, "..", "shared"), "corpus", "flagd");

function deepMerge(a: unknown, b: unknown): unknown {
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = k in out ? deepMerge(out[k], v) : v;
    return out;
  }
  return b;
}

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

/** The flag sets the suites use: the testkit file, the launchpad's merge of every non-selector file, and each selector file alone. */
export function loadFlagSets(): Map<string, unknown> {
  const sets = new Map<string, unknown>();
  sets.set("testkit", readJson(path.join(flagdCorpus, "evaluator", "flags", "testkit-flags.json")));
  const dir = path.join(flagdCorpus, "flags");
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
  let all: unknown = {};
  for (const f of files) {
    if (f.startsWith("selector-")) sets.set(f, readJson(path.join(dir, f)));
    else all = deepMerge(all, readJson(path.join(dir, f)));
  }
  sets.set("all", all);
  return sets;
}

type FlagType = "Boolean" | "String" | "Integer" | "Float" | "Object";

function unescapeJsonCell(text: string): string {
  return text.replace(/\\"/g, '"');
}

function parseTyped(type: string, raw: string): unknown {
  switch (type) {
    case "Boolean":
      return raw === "true";
    case "Integer":
      return Number.parseInt(raw, 10);
    case "Float":
      return Number.parseFloat(raw);
    case "Object":
      return JSON.parse(unescapeJsonCell(raw));
    default:
      return raw;
  }
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

export class TestbedRunner {
  private readonly clients = new Map<string, Client>();
  constructor(
    private readonly sets: Map<string, unknown>,
    private readonly fractional: FractionalVersion,
    /** Builds the provider serving one flag set; Slipway's in-process provider by default. */
    private readonly makeProvider: (setName: string, document: unknown) => Provider | Promise<Provider> = (setName, document) =>
      new SlipwayFlagProvider({ source: createStaticSyncSource(document, setName), fractional: this.fractional }),
    private readonly domainPrefix = "testbed",
  ) {}

  private async client(setName: string): Promise<Client> {
    const domain = `${this.domainPrefix}-${this.fractional}-${setName}`;
    let client = this.clients.get(domain);
    if (!client) {
      const document = this.sets.get(setName);
      if (document === undefined) throw new Error(`no flag set named ${setName}`);
      await OpenFeature.setProviderAndWait(domain, await this.makeProvider(setName, document));
      client = OpenFeature.getClient(domain);
      this.clients.set(domain, client);
    }
    return client;
  }

  /** Runs one case; resolves to a failure message, or undefined when every step held. */
  async run(c: GherkinCase): Promise<string | undefined> {
    let setName = c.file.startsWith("evaluator/") ? "testkit" : "all";
    let flag: { type: FlagType; key: string; fallback: unknown } | undefined;
    const context: EvaluationContext = {};
    let details: EvaluationDetails<FlagValue> | undefined;
    for (const step of c.steps) {
      const t = step.text;
      let m: RegExpMatchArray | null;
      if (/^(an evaluator|a stable flagd provider|a metadata flagd provider)$/.test(t)) continue;
      if ((m = t.match(/^an option "(.*)" of type "(.*)" with value "(.*)"$/))) {
        if (m[1]! === "selector") setName = m[3]! === "flags/allFlags.json" ? "all" : path.basename(m[3]!);
        continue;
      }
      if ((m = t.match(/^a (\w+)-flag with key "(.*)" and a (?:default|fallback) value "(.*)"$/))) {
        flag = { type: m[1]! as FlagType, key: m[2]!, fallback: parseTyped(m[1]!, m[3]!) };
        continue;
      }
      if ((m = t.match(/^a context containing a key "(.*)", with type "(.*)" and with value "(.*)"$/))) {
        context[m[1]!] = parseTyped(m[2]!, m[3]!) as EvaluationContext[string];
        continue;
      }
      if ((m = t.match(/^a context containing a nested property with outer key "(.*)" and inner key "(.*)", with value "(.*)"$/))) {
        context[m[1]!] = { ...((context[m[1]!] as Record<string, string>) ?? {}), [m[2]!]: m[3]! };
        continue;
      }
      if ((m = t.match(/^a context containing a targeting key with value "(.*)"$/))) {
        context.targetingKey = m[1];
        continue;
      }
      if (t === "the flag was evaluated with details") {
        if (!flag) return "evaluated before a flag was given";
        const client = await this.client(setName);
        switch (flag.type) {
          case "Boolean":
            details = await client.getBooleanDetails(flag.key, flag.fallback as boolean, context);
            break;
          case "String":
            details = await client.getStringDetails(flag.key, flag.fallback as string, context);
            break;
          case "Integer":
          case "Float":
            details = await client.getNumberDetails(flag.key, flag.fallback as number, context);
            break;
          case "Object":
            details = await client.getObjectDetails(flag.key, flag.fallback as JsonValue, context);
            break;
        }
        continue;
      }
      if (!details || !flag) return `"${t}" before an evaluation`;
      if ((m = t.match(/^the resolved details value should be "(.*)"$/))) {
        const expected = parseTyped(flag.type, m[1]!);
        if (!isDeepEqual(details.value, expected)) return `value ${JSON.stringify(details.value)}, expected ${JSON.stringify(expected)} (reason ${details.reason}${details.errorCode ? `, ${details.errorCode}` : ""})`;
        continue;
      }
      if ((m = t.match(/^the reason should be "(.*)"$/))) {
        if (details.reason !== m[1]) return `reason ${details.reason}, expected ${m[1]}`;
        continue;
      }
      if ((m = t.match(/^the error-code should be "(.*)"$/))) {
        const actual = details.errorCode ?? "";
        if (actual !== m[1]) return `error code "${actual}", expected "${m[1]}"`;
        continue;
      }
      if (t === "the resolved metadata is empty") {
        if (Object.keys(details.flagMetadata).length > 0) return `metadata ${JSON.stringify(details.flagMetadata)}, expected none`;
        continue;
      }
      if (t === "the resolved metadata should contain") {
        const [header, ...rows] = step.table ?? [];
        for (const row of rows) {
          const cell = (name: string) => row[(header ?? []).indexOf(name)] ?? "";
          const expected = parseTyped(cell("metadata_type"), cell("value"));
          const actual = details.flagMetadata[cell("key")];
          if (actual !== expected) return `metadata ${cell("key")} = ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
        }
        continue;
      }
      return `unsupported step: ${step.keyword} ${t}`;
    }
    return undefined;
  }
}
