/**
 * Secret-scan configuration: Slipway's `.slipway/secret-scan.toml` and
 * gitleaks' own format (`[[rules]]`, `[allowlist]`, `[[allowlists]]`,
 * `[[rules.allowlists]]`, `[extend]` with `useDefault`, `path` and
 * `disabledRules`). The two differ in one default: Slipway's file extends
 * the default rules unless `[extend] useDefault = false`; a gitleaks file
 * replaces them unless it says `useDefault = true`, as gitleaks does.
 * Regexes are Go RE2 syntax in gitleaks files; a leading `(?i)` becomes the
 * `i` flag and `(?P<name>` a named group, other inline flags are refused.
 */
import { SlipwayError } from "../../lib/index.js";
import { DEFAULT_GLOBAL_ALLOWLISTS, DEFAULT_RULES } from "./rules.js";
import { lineOfKey, parseToml, TomlSyntaxError, type TomlTable } from "./toml.js";
import type { AllowlistTarget, SecretAllowlist, SecretRule, SecretScanConfig } from "./types.js";

const SECRET_SCAN_MAX_FILE_BYTES = 10 * 1024 * 1024;
const DEFAULT_INLINE_ALLOW_MARKERS = ["gitleaks:allow", "slipway:allow"];

/** Slipway's default rules and global allow-list. */
export function defaultSecretScanConfig(): SecretScanConfig {
  return {
    rules: DEFAULT_RULES.map((r) => ({ ...r, allowlists: [...r.allowlists], keywords: [...r.keywords], tags: [...r.tags] })),
    allowlists: [...DEFAULT_GLOBAL_ALLOWLISTS],
    maxFileBytes: SECRET_SCAN_MAX_FILE_BYTES,
    inlineAllowMarkers: [...DEFAULT_INLINE_ALLOW_MARKERS],
  };
}

export interface LoadSecretScanConfigOptions {
  /** Named in errors. */
  file: string;
  /** "slipway" (default) or "gitleaks": see the module comment for the one difference. */
  format?: "slipway" | "gitleaks";
  /** Reads the file an `[extend] path` names; without it such a config is refused. */
  readFile?: (path: string) => string;
}

const MAX_EXTEND_DEPTH = 2;

const TOP_KEYS = new Set(["title", "description", "minVersion", "extend", "rules", "allowlist", "allowlists", "slipway"]);
const RULE_KEYS = new Set(["id", "description", "regex", "secretGroup", "entropy", "keywords", "path", "tags", "allowlist", "allowlists", "multiline"]);
const ALLOWLIST_KEYS = new Set(["description", "condition", "commits", "paths", "regexes", "regexTarget", "stopwords", "targetRules"]);

class ConfigReader {
  constructor(
    readonly file: string,
    readonly strict: boolean,
  ) {}

  fail(message: string, line: number, hint?: string): never {
    throw new SlipwayError("SECRET_SCAN_CONFIG_INVALID", `${this.file}:${line}: ${message}`, { position: { file: this.file, line, col: 1 }, ...(hint ? { hint } : {}) });
  }

  checkKeys(t: TomlTable, allowed: Set<string>, where: string): void {
    if (!this.strict) return;
    for (const k of Object.keys(t)) if (!allowed.has(k)) this.fail(`unknown key '${k}' in ${where}`, lineOfKey(t, k), `Known keys: ${[...allowed].join(", ")}.`);
  }

  table(parent: TomlTable, key: string): TomlTable | undefined {
    const v = parent[key];
    if (v === undefined) return undefined;
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(`'${key}' must be a table`, lineOfKey(parent, key));
    return v as TomlTable;
  }

  tables(parent: TomlTable, key: string): TomlTable[] {
    const v = parent[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== "object" || x === null || Array.isArray(x))) this.fail(`'${key}' must be an array of tables ([[${key}]])`, lineOfKey(parent, key));
    return v as TomlTable[];
  }

  string(t: TomlTable, key: string): string | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string") this.fail(`'${key}' must be a string`, lineOfKey(t, key));
    return v;
  }

  number(t: TomlTable, key: string): number | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) this.fail(`'${key}' must be a non-negative number`, lineOfKey(t, key));
    return v;
  }

  boolean(t: TomlTable, key: string): boolean | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.fail(`'${key}' must be true or false`, lineOfKey(t, key));
    return v;
  }

  strings(t: TomlTable, key: string): string[] | undefined {
    const v = t[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) this.fail(`'${key}' must be an array of strings`, lineOfKey(t, key));
    return v as string[];
  }

  /** Compiles a Go RE2 pattern as a JS RegExp, or fails with the key's line. */
  regex(source: string, t: TomlTable, key: string): RegExp {
    const line = lineOfKey(t, key);
    let src = source;
    let flags = "";
    const lead = /^\(\?([imsU]+)\)/.exec(src);
    if (lead) {
      if (/[mU]/.test(lead[1]!)) this.fail(`regex flag(s) '${lead[1]}' in '${key}' are not supported`, line, "Only a leading (?i) or (?s) flag is supported; JS RegExp has no inline flags.");
      flags = lead[1]!.replace(/[^is]/g, "");
      src = src.slice(lead[0].length);
    }
    src = src.replace(/\(\?P</g, "(?<").replace(/\\z/g, "$").replace(/\\A/g, "^");
    if (/\(\?[a-zA-Z-]+[:)]/.test(src)) this.fail(`'${key}' uses an inline flag group such as (?i:…) in the middle of the pattern`, line, "Move a case-insensitive flag to the start of the pattern as (?i), or list both cases in a character class.");
    try {
      return new RegExp(src, flags);
    } catch (error) {
      return this.fail(`'${key}' is not a valid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, "")}`, line, "Regexes use JavaScript RegExp syntax (Go RE2 without inline flags).");
    }
  }

  allowlist(t: TomlTable, where: string, global: boolean): SecretAllowlist {
    this.checkKeys(t, ALLOWLIST_KEYS, where);
    const condition = (this.string(t, "condition") ?? "OR").toUpperCase();
    if (condition !== "OR" && condition !== "AND") this.fail(`'condition' must be "OR" or "AND", not "${condition}"`, lineOfKey(t, "condition"));
    const target = this.string(t, "regexTarget") ?? "secret";
    if (!["secret", "match", "line"].includes(target)) this.fail(`'regexTarget' must be "secret", "match" or "line"`, lineOfKey(t, "regexTarget"));
    const targetRules = this.strings(t, "targetRules");
    if (targetRules && !global) this.fail("'targetRules' is only allowed in a global [[allowlists]] entry", lineOfKey(t, "targetRules"));
    const list: SecretAllowlist = {
      condition,
      commits: this.strings(t, "commits") ?? [],
      paths: (this.strings(t, "paths") ?? []).map((p) => this.regex(p, t, "paths")),
      regexes: (this.strings(t, "regexes") ?? []).map((p) => this.regex(p, t, "regexes")),
      regexTarget: target as AllowlistTarget,
      stopwords: this.strings(t, "stopwords") ?? [],
    };
    const description = this.string(t, "description");
    if (description !== undefined) list.description = description;
    if (targetRules) list.targetRules = targetRules;
    if (list.commits.length + list.paths.length + list.regexes.length + list.stopwords.length === 0) this.fail(`${where} has no commits, paths, regexes or stopwords`, lineOfKey(t));
    return list;
  }

  rule(t: TomlTable, base: SecretRule | undefined): SecretRule {
    const id = this.string(t, "id");
    if (!id) this.fail("a [[rules]] entry needs an 'id'", lineOfKey(t));
    const where = `rule '${id}'`;
    this.checkKeys(t, RULE_KEYS, where);
    const regexSource = this.string(t, "regex");
    const pathSource = this.string(t, "path");
    const rule: SecretRule = base
      ? { ...base, allowlists: [...base.allowlists], keywords: [...base.keywords], tags: [...base.tags] }
      : { id, description: id, keywords: [], allowlists: [], tags: [] };
    if (regexSource !== undefined) rule.regex = this.regex(regexSource, t, "regex");
    if (pathSource !== undefined) rule.path = this.regex(pathSource, t, "path");
    if (!rule.regex && !rule.path) this.fail(`${where} needs a 'regex' or a 'path'`, lineOfKey(t));
    const description = this.string(t, "description");
    if (description !== undefined) rule.description = description;
    const group = this.number(t, "secretGroup");
    if (group !== undefined) {
      if (!Number.isInteger(group)) this.fail("'secretGroup' must be an integer", lineOfKey(t, "secretGroup"));
      const groups = rule.regex ? new RegExp(`${rule.regex.source}|`).exec("")!.length - 1 : 0;
      if (group > groups) this.fail(`'secretGroup' is ${group} but the regex has ${groups} group(s)`, lineOfKey(t, "secretGroup"));
      rule.secretGroup = group;
    }
    const entropy = this.number(t, "entropy");
    if (entropy !== undefined) rule.entropy = entropy;
    const keywords = this.strings(t, "keywords");
    if (keywords) rule.keywords = keywords.map((k) => k.toLowerCase()).filter((k) => k.length > 0);
    const tags = this.strings(t, "tags");
    if (tags) rule.tags = tags;
    const multiline = this.boolean(t, "multiline");
    if (multiline !== undefined) rule.multiline = multiline;
    const single = this.table(t, "allowlist");
    if (single) rule.allowlists.push(this.allowlist(single, `the allowlist of ${where}`, false));
    for (const a of this.tables(t, "allowlists")) rule.allowlists.push(this.allowlist(a, `an allowlist of ${where}`, false));
    return rule;
  }
}

/**
 * Reads a configuration file's text. Throws SECRET_SCAN_CONFIG_INVALID with
 * the file and line of the first problem.
 */
export function loadSecretScanConfig(text: string, options: LoadSecretScanConfigOptions): SecretScanConfig {
  return loadAt(text, options, 0);
}

function loadAt(text: string, options: LoadSecretScanConfigOptions, depth: number): SecretScanConfig {
  const format = options.format ?? "slipway";
  const reader = new ConfigReader(options.file, format === "slipway");
  let root: TomlTable;
  try {
    root = parseToml(text);
  } catch (error) {
    if (error instanceof TomlSyntaxError) reader.fail(`TOML syntax: ${error.message}`, error.line, "Fix the TOML syntax on that line (strings in quotes, regexes best in '''…''').");
    throw error;
  }
  reader.checkKeys(root, TOP_KEYS, "the top level");

  const extend = reader.table(root, "extend");
  let base: SecretScanConfig;
  const extendPath = extend ? reader.string(extend, "path") : undefined;
  const useDefault = extend ? reader.boolean(extend, "useDefault") : undefined;
  if (extendPath !== undefined) {
    const line = lineOfKey(extend!, "path");
    const readFile = options.readFile;
    if (!readFile) return reader.fail("[extend] path is not supported here", line, "Copy the rules into this file, or use [extend] useDefault = true.");
    if (depth >= MAX_EXTEND_DEPTH) reader.fail(`[extend] is nested more than ${MAX_EXTEND_DEPTH} levels deep`, line);
    let extended: string;
    try {
      extended = readFile(extendPath);
    } catch (error) {
      return reader.fail(`[extend] path '${extendPath}' cannot be read: ${(error as Error).message}`, line);
    }
    base = loadAt(extended, { ...options, file: extendPath, format: "gitleaks" }, depth + 1);
  } else if (useDefault ?? format === "slipway") {
    base = defaultSecretScanConfig();
  } else {
    base = { rules: [], allowlists: [], maxFileBytes: SECRET_SCAN_MAX_FILE_BYTES, inlineAllowMarkers: [...DEFAULT_INLINE_ALLOW_MARKERS] };
  }
  if (extend) {
    reader.checkKeys(extend, new Set(["useDefault", "path", "disabledRules"]), "[extend]");
    const disabled = new Set(reader.strings(extend, "disabledRules") ?? []);
    base.rules = base.rules.filter((r) => !disabled.has(r.id));
  }

  const rules = new Map(base.rules.map((r) => [r.id, r]));
  const seen = new Set<string>();
  for (const t of reader.tables(root, "rules")) {
    const id = reader.string(t, "id");
    if (id !== undefined && seen.has(id)) reader.fail(`rule '${id}' is defined twice`, lineOfKey(t, "id"));
    const rule = reader.rule(t, id !== undefined ? rules.get(id) : undefined);
    seen.add(rule.id);
    rules.set(rule.id, rule);
  }

  const allowlists = [...base.allowlists];
  const single = reader.table(root, "allowlist");
  const globals: [TomlTable, string][] = single ? [[single, "[allowlist]"]] : [];
  for (const t of reader.tables(root, "allowlists")) globals.push([t, "an [[allowlists]] entry"]);
  for (const [t, where] of globals) {
    const list = reader.allowlist(t, where, true);
    for (const id of list.targetRules ?? []) {
      if (!rules.has(id)) reader.fail(`${where} targets rule '${id}', which is not defined`, lineOfKey(t, "targetRules"), "Check the rule ids in targetRules.");
    }
    allowlists.push(list);
  }

  const config: SecretScanConfig = { rules: [...rules.values()], allowlists, maxFileBytes: base.maxFileBytes, inlineAllowMarkers: base.inlineAllowMarkers };
  const slipway = reader.table(root, "slipway");
  if (slipway) {
    new ConfigReader(options.file, true).checkKeys(slipway, new Set(["maxFileBytes", "inlineAllowMarkers"]), "[slipway]");
    const max = reader.number(slipway, "maxFileBytes");
    if (max !== undefined) config.maxFileBytes = max;
    const markers = reader.strings(slipway, "inlineAllowMarkers");
    if (markers) config.inlineAllowMarkers = markers;
  }
  return config;
}
