/**
 * A JsonLogic compiler: a rule is turned once into nested closures, so an
 * evaluation runs plain function calls instead of walking the JSON tree.
 * Semantics follow json-logic-js (the reference JsonLogic implementation);
 * flagd's custom operators are supplied by the caller as operator compilers.
 */

/** What a compiled rule reads while it runs; one per evaluation. */
export interface Scope {
  /** What `var` reads: the evaluation context, or the current item inside map/filter/all/none/some/reduce. */
  data: unknown;
  /** The evaluation context itself, whatever `data` currently is. */
  root: unknown;
  /** The flag being evaluated (`$flagd.flagKey`). */
  flagKey: string;
  /** `$flagd.timestamp` in whole seconds; negative until a rule first reads it. */
  timestamp: number;
  /** The clock, in milliseconds since the epoch. */
  now: () => number;
}

export type Rule = (scope: Scope) => unknown;

/** Compiles one operator's arguments (already an array) into a rule. */
export type OperatorCompiler = (args: unknown[], compile: (node: unknown) => Rule) => Rule;

/** A rule that cannot be compiled (unknown operator, malformed arguments). */
export class RuleSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RuleSyntaxError";
  }
}

const constants = new WeakMap<Rule, unknown>();

/** A rule returning `value`, recognisable as a constant for folding. */
export function constantRule(value: unknown): Rule {
  const rule: Rule = () => value;
  constants.set(rule, value);
  return rule;
}

export function isConstantRule(rule: Rule): boolean {
  return constants.has(rule);
}

export function constantValue(rule: Rule): unknown {
  return constants.get(rule);
}

/** JsonLogic truthiness: an empty array is false, everything else as in JavaScript. */
function isTruthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : !!value;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads `$flagd.*` (always from the evaluator, never from the caller's context). */
function readFlagd(scope: Scope, rest: readonly string[]): unknown {
  if (rest.length === 0) return { flagKey: scope.flagKey, timestamp: readTimestamp(scope) };
  if (rest.length > 1) return undefined;
  if (rest[0] === "flagKey") return scope.flagKey;
  if (rest[0] === "timestamp") return readTimestamp(scope);
  return undefined;
}

function readTimestamp(scope: Scope): number {
  if (scope.timestamp < 0) scope.timestamp = Math.floor(scope.now() / 1000);
  return scope.timestamp;
}

/** Walks own properties only: `constructor` or `__proto__` never reach a rule. */
function readPath(data: unknown, segments: readonly string[]): unknown {
  let current = data;
  for (let i = 0; i < segments.length; i++) {
    if (current === null || typeof current !== "object") return undefined;
    const key = segments[i]!;
    if (!hasOwn.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function splitPath(path: unknown): string[] | null {
  if (path === null || path === undefined || path === "") return null;
  return String(path).split(".");
}

function readVar(scope: Scope, segments: string[] | null): unknown {
  if (segments === null) return scope.data;
  if (segments[0] === "$flagd") return readFlagd(scope, segments.slice(1));
  return readPath(scope.data, segments);
}

function compileVar(args: unknown[], compile: (node: unknown) => Rule): Rule {
  const pathRule = compile(args[0]);
  const fallbackRule = args.length > 1 ? compile(args[1]) : constantRule(null);
  if (isConstantRule(pathRule)) {
    const segments = splitPath(constantValue(pathRule));
    if (segments === null) return (s) => s.data;
    if (segments[0] === "$flagd") {
      const rest = segments.slice(1);
      return (s) => {
        const v = readFlagd(s, rest);
        return v === undefined ? fallbackRule(s) : v;
      };
    }
    if (segments.length === 1) {
      const key = segments[0]!;
      return (s) => {
        const d = s.data;
        if (d !== null && typeof d === "object" && hasOwn.call(d, key)) {
          const v = (d as Record<string, unknown>)[key];
          if (v !== undefined) return v;
        }
        return fallbackRule(s);
      };
    }
    return (s) => {
      const v = readPath(s.data, segments);
      return v === undefined ? fallbackRule(s) : v;
    };
  }
  return (s) => {
    const v = readVar(s, splitPath(pathRule(s)));
    return v === undefined ? fallbackRule(s) : v;
  };
}

function compileMissing(args: unknown[], compile: (node: unknown) => Rule): Rule {
  const rules = args.map(compile);
  return (s) => {
    let keys: unknown[] = rules.map((r) => r(s));
    if (keys.length === 1 && Array.isArray(keys[0])) keys = keys[0] as unknown[];
    const missing: unknown[] = [];
    for (const key of keys) {
      const v = readVar(s, splitPath(key));
      if (v === undefined || v === null || v === "") missing.push(key);
    }
    return missing;
  };
}

function compileMissingSome(args: unknown[], compile: (node: unknown) => Rule): Rule {
  const needRule = compile(args[0]);
  const keysRule = compile(args[1]);
  return (s) => {
    const need = Number(needRule(s));
    const keys = keysRule(s);
    const list = Array.isArray(keys) ? keys : [];
    const missing: unknown[] = [];
    for (const key of list) {
      const v = readVar(s, splitPath(key));
      if (v === undefined || v === null || v === "") missing.push(key);
    }
    return list.length - missing.length >= need ? [] : missing;
  };
}

function compileIf(args: unknown[], compile: (node: unknown) => Rule): Rule {
  const rules = args.map(compile);
  if (rules.length === 0) return constantRule(null);
  if (rules.length === 1) return rules[0]!;
  if (rules.length === 3) {
    const [c, t, e] = rules as [Rule, Rule, Rule];
    return (s) => (isTruthy(c(s)) ? t(s) : e(s));
  }
  return (s) => {
    let i = 0;
    for (; i + 1 < rules.length; i += 2) if (isTruthy(rules[i]!(s))) return rules[i + 1]!(s);
    return i < rules.length ? rules[i]!(s) : null;
  };
}

function binary(fn: (a: any, b: any) => unknown): OperatorCompiler {
  return (args, compile) => {
    const a = compile(args[0]);
    const b = compile(args[1]);
    if (isConstantRule(b)) {
      const bv = constantValue(b);
      return (s) => fn(a(s), bv);
    }
    return (s) => fn(a(s), b(s));
  };
}

function variadic(fn: (values: any[]) => unknown): OperatorCompiler {
  return (args, compile) => {
    const rules = args.map(compile);
    return (s) => {
      const values = new Array(rules.length);
      for (let i = 0; i < rules.length; i++) values[i] = rules[i]!(s);
      return fn(values);
    };
  };
}

function comparison(two: (a: any, b: any) => boolean): OperatorCompiler {
  return (args, compile) => {
    const rules = args.map(compile);
    if (rules.length === 3) {
      const [a, b, c] = rules as [Rule, Rule, Rule];
      return (s) => {
        const bv = b(s);
        return two(a(s), bv) && two(bv, c(s));
      };
    }
    const [a, b] = rules;
    return (s) => two(a?.(s), b?.(s));
  };
}

function compileIteration(kind: "map" | "filter" | "all" | "none" | "some"): OperatorCompiler {
  return (args, compile) => {
    const listRule = compile(args[0]);
    const body = compile(args[1]);
    return (s) => {
      const list = listRule(s);
      if (!Array.isArray(list)) return kind === "map" || kind === "filter" ? [] : kind === "none";
      if (kind === "all" && list.length === 0) return false;
      const outer = s.data;
      try {
        const out: unknown[] = [];
        for (const item of list) {
          s.data = item;
          const v = body(s);
          if (kind === "map") out.push(v);
          else if (kind === "filter") {
            if (isTruthy(v)) out.push(item);
          } else if (kind === "all" && !isTruthy(v)) return false;
          else if (kind === "some" && isTruthy(v)) return true;
          else if (kind === "none" && isTruthy(v)) return false;
        }
        if (kind === "map" || kind === "filter") return out;
        return kind !== "some";
      } finally {
        s.data = outer;
      }
    };
  };
}

function compileReduce(args: unknown[], compile: (node: unknown) => Rule): Rule {
  const listRule = compile(args[0]);
  const body = compile(args[1]);
  const initialRule = compile(args[2] ?? null);
  return (s) => {
    const list = listRule(s);
    let accumulator = initialRule(s);
    if (!Array.isArray(list)) return accumulator;
    const outer = s.data;
    try {
      for (const current of list) {
        s.data = { current, accumulator };
        accumulator = body(s);
      }
    } finally {
      s.data = outer;
    }
    return accumulator;
  };
}

function substr(source: unknown, start: unknown, length?: unknown): string {
  const text = String(source);
  const from = Number(start);
  const begin = from < 0 ? Math.max(0, text.length + from) : Math.min(from, text.length);
  if (length === undefined || length === null) return text.slice(begin);
  const len = Number(length);
  if (len < 0) return text.slice(begin, Math.max(begin, text.length + len));
  return text.slice(begin, begin + len);
}

/** JsonLogic's standard operators. */
export const STANDARD_OPERATORS: Readonly<Record<string, OperatorCompiler>> = {
  var: compileVar,
  missing: compileMissing,
  missing_some: compileMissingSome,
  if: compileIf,
  "?:": compileIf,
  "==": binary((a, b) => a == b),
  "===": binary((a, b) => a === b),
  "!=": binary((a, b) => a != b),
  "!==": binary((a, b) => a !== b),
  "!": (args, compile) => {
    const a = compile(args[0]);
    return (s) => !isTruthy(a(s));
  },
  "!!": (args, compile) => {
    const a = compile(args[0]);
    return (s) => isTruthy(a(s));
  },
  or: (args, compile) => {
    const rules = args.map(compile);
    return (s) => {
      let v: unknown = null;
      for (const r of rules) {
        v = r(s);
        if (isTruthy(v)) return v;
      }
      return v;
    };
  },
  and: (args, compile) => {
    const rules = args.map(compile);
    return (s) => {
      let v: unknown = null;
      for (const r of rules) {
        v = r(s);
        if (!isTruthy(v)) return v;
      }
      return v;
    };
  },
  "<": comparison((a, b) => a < b),
  "<=": comparison((a, b) => a <= b),
  ">": binary((a, b) => a > b),
  ">=": binary((a, b) => a >= b),
  in: binary((a, b) => {
    if (typeof b === "string") return b.includes(String(a));
    if (Array.isArray(b)) return b.includes(a);
    return false;
  }),
  cat: variadic((values) => {
    let out = "";
    for (const v of values) out += String(v);
    return out;
  }),
  substr: variadic((values) => substr(values[0], values[1], values[2])),
  "+": variadic((values) => {
    let sum = 0;
    for (const v of values) sum += parseFloat(v);
    return sum;
  }),
  "*": variadic((values) => {
    let product = 1;
    for (const v of values) product *= parseFloat(v);
    return product;
  }),
  "-": variadic((values) => (values.length === 1 ? -values[0] : values[0] - values[1])),
  "/": binary((a, b) => a / b),
  "%": binary((a, b) => a % b),
  min: variadic((values) => (values.length === 0 ? null : Math.min(...values))),
  max: variadic((values) => (values.length === 0 ? null : Math.max(...values))),
  merge: variadic((values) => {
    const out: unknown[] = [];
    for (const v of values) {
      if (Array.isArray(v)) out.push(...v);
      else out.push(v);
    }
    return out;
  }),
  map: compileIteration("map"),
  filter: compileIteration("filter"),
  all: compileIteration("all"),
  none: compileIteration("none"),
  some: compileIteration("some"),
  reduce: compileReduce,
  log: (args, compile) => compile(args[0]),
};

/**
 * Compiles a JsonLogic node. An object with exactly one key is an operation;
 * arrays compile element-wise; anything else is a literal. Unknown operators
 * throw RuleSyntaxError.
 */
export function compileRule(node: unknown, operators: Readonly<Record<string, OperatorCompiler>>): Rule {
  const compile = (n: unknown): Rule => {
    if (n === null || typeof n !== "object") return constantRule(n === undefined ? null : n);
    if (Array.isArray(n)) {
      const rules = n.map(compile);
      if (rules.every(isConstantRule)) return constantRule(rules.map(constantValue));
      return (s) => rules.map((r) => r(s));
    }
    const keys = Object.keys(n);
    if (keys.length !== 1) {
      if (keys.length === 0) return constantRule(n);
      throw new RuleSyntaxError(`an operation has exactly one key, this object has ${keys.length} (${keys.join(", ")})`);
    }
    const op = keys[0]!;
    const operator = hasOwn.call(operators, op) ? operators[op] : undefined;
    if (!operator) throw new RuleSyntaxError(`unknown operator "${op}"`);
    const raw = (n as Record<string, unknown>)[op];
    return operator(Array.isArray(raw) ? raw : [raw], compile);
  };
  return compile(node);
}
