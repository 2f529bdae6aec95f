/**
 * Matrix expansion with GitHub's algorithm:
 * 1. the cartesian product of the vectors, the first key varying slowest;
 * 2. `exclude` entries remove every combination they match (partially);
 * 3. each `include` entry is merged into every original combination whose
 *    original values it does not change (values added by an earlier include
 *    may be overwritten); an entry that merges into none becomes a new
 *    combination of its own.
 */
import { SlipwayError } from "../lib/index.js";
import { evaluateTemplate, type EvaluateOptions, type Template } from "../workflow/index.js";

export type MatrixLeg = Record<string, unknown>;

const SPLICE = "__slipway_matrix_splice__";

/**
 * Evaluates `strategy.matrix` (a mapping, or one expression yielding it).
 * A vector item that is a single `${{ }}` yielding a list is spliced into the
 * vector, as act does (`os: [a, "${{ fromJSON('[\"b\",\"c\"]') }}"]` has three
 * values).
 */
export function evaluateMatrix(template: Template, contexts: Record<string, unknown>, options?: EvaluateOptions): unknown {
  let marked: Template = template;
  if (template !== null && typeof template === "object" && !Array.isArray(template)) {
    const copy: Record<string, Template> = {};
    for (const [key, value] of Object.entries(template)) {
      copy[key] =
        key !== "include" && key !== "exclude" && Array.isArray(value)
          ? value.map((item) => (isSingleExpression(item) ? { [SPLICE]: item } : item))
          : value;
    }
    marked = copy;
  }
  const evaluated = evaluateTemplate(marked, contexts, options);
  if (evaluated === null || typeof evaluated !== "object" || Array.isArray(evaluated)) return evaluated;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(evaluated as Record<string, unknown>)) {
    if (!Array.isArray(value)) {
      out[key] = value;
      continue;
    }
    out[key] = value.flatMap((item) => {
      if (item !== null && typeof item === "object" && !Array.isArray(item) && SPLICE in item) {
        const inner = (item as Record<string, unknown>)[SPLICE];
        return Array.isArray(inner) ? inner : [inner];
      }
      return [item];
    });
  }
  return out;
}

function isSingleExpression(value: Template): boolean {
  return typeof value === "string" && /^\s*\$\{\{[\s\S]*\}\}\s*$/.test(value) && value.indexOf("${{", value.indexOf("${{") + 3) < 0;
}

/** GitHub's limit on the legs of one matrix. */
const MAX_MATRIX_LEGS = 256;

/** A matrix that cannot be expanded: a user-facing failure of the job. */
function matrixError(message: string): SlipwayError {
  return new SlipwayError("MATRIX_INVALID", message);
}

/** Expands an evaluated `strategy.matrix` mapping into its legs. */
export function expandMatrix(matrix: unknown): MatrixLeg[] {
  if (matrix === null || typeof matrix !== "object" || Array.isArray(matrix)) {
    throw matrixError("`strategy.matrix` must be a mapping");
  }
  const source = matrix as Record<string, unknown>;
  const vectors: [string, unknown[]][] = [];
  let include: unknown[] = [];
  let exclude: unknown[] = [];
  for (const [key, value] of Object.entries(source)) {
    if (key === "include" || key === "exclude") {
      const list = value === null || value === undefined ? [] : value;
      if (!Array.isArray(list)) throw matrixError(`\`matrix.${key}\` must be a list of mappings`);
      for (const entry of list) {
        if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
          throw matrixError(`every entry of \`matrix.${key}\` must be a mapping`);
        }
      }
      if (key === "include") include = list;
      else exclude = list;
      continue;
    }
    if (!Array.isArray(value)) throw matrixError(`matrix vector '${key}' must be a list`);
    if (value.length === 0) throw matrixError(`matrix vector '${key}' does not contain any values`);
    vectors.push([key, value]);
  }

  let combos: MatrixLeg[] = vectors.length === 0 ? [] : [{}];
  for (const [key, values] of vectors) {
    const next: MatrixLeg[] = [];
    for (const combo of combos) for (const v of values) next.push({ ...combo, [key]: v });
    combos = next;
  }
  combos = combos.filter(
    (combo) => !exclude.some((e) => Object.entries(e as MatrixLeg).every(([k, v]) => k in combo && deepEqual(combo[k], v))),
  );

  const originalKeys = new Set(vectors.map(([k]) => k));
  const originals = combos.map((c) => ({ ...c }));
  const added: MatrixLeg[] = [];
  for (const raw of include) {
    const entry = raw as MatrixLeg;
    let merged = false;
    originals.forEach((original, i) => {
      const compatible = Object.entries(entry).every(
        ([k, v]) => !originalKeys.has(k) || deepEqual(original[k], v),
      );
      if (compatible) {
        Object.assign(combos[i]!, entry);
        merged = true;
      }
    });
    if (!merged) added.push({ ...entry });
  }
  const legs = [...combos, ...added];
  if (legs.length > MAX_MATRIX_LEGS) {
    throw matrixError(`the matrix has ${legs.length} legs; GitHub allows at most ${MAX_MATRIX_LEGS}`);
  }
  return legs;
}

/**
 * Keeps the legs whose values match `filter`: a leg matches a key when its
 * value (as text) is the one given or one of the list given. Keys a leg lacks
 * do not filter it out, so jobs without that matrix key keep running.
 */
export function filterMatrixLegs(legs: MatrixLeg[], filter: Record<string, string | string[]> | undefined): MatrixLeg[] {
  if (!filter || Object.keys(filter).length === 0) return legs;
  return legs.filter((leg) =>
    Object.entries(filter).every(([k, v]) => {
      if (!(k in leg)) return true;
      const value = formatMatrixValue(leg[k]);
      return Array.isArray(v) ? v.includes(value) : value === v;
    }),
  );
}

/** A matrix value as GitHub shows it in a leg's name. */
function formatMatrixValue(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * `build (20, a)`: the base name followed by the leg's values, leaving out
 * empty ones (null, ""). GitHub adds the values to a job's own `name` too,
 * unless that name holds an expression.
 */
export function nameMatrixLeg(base: string, leg: MatrixLeg): string {
  const values = Object.values(leg)
    .filter((v) => v !== null && v !== undefined && v !== "")
    .map(formatMatrixValue);
  return values.length === 0 ? base : `${base} (${values.join(", ")})`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  return ak.length === Object.keys(bo).length && ak.every((k) => k in bo && deepEqual(ao[k], bo[k]));
}
