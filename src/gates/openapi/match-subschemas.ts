import { isObject, stableStringify, type Schema, type Side } from "./model.js";

const ANNOTATIONS = new Set(["title", "description", "example", "examples", "deprecated", "readOnly", "writeOnly", "default", "externalDocs", "$comment", "xml"]);

const identities = new WeakMap<object, number>();
let lastIdentity = 0;

/** A number per schema object, for the stack that stops recursive schemas. */
export function identify(node: object): number {
  let id = identities.get(node);
  if (id === undefined) {
    id = ++lastIdentity;
    identities.set(node, id);
  }
  return id;
}

export function isAnnotationOnly(s: Schema): boolean {
  const keys = Object.keys(s).filter((k) => !k.startsWith("x-"));
  return keys.length > 0 && keys.every((k) => ANNOTATIONS.has(k));
}

/**
 * Pairs the subschemas of two oneOf/anyOf/allOf lists: by `$ref` first, then equal
 * inline schemas, then the rest in order; the leftovers were added or removed.
 */
export function matchSubschemas(
  lb: readonly unknown[],
  lr: readonly unknown[],
  resolve: (side: Side, value: unknown) => Schema | undefined,
): { pairs: Array<[number, number]>; removed: number[]; added: number[] } {
  const pairs: Array<[number, number]> = [];
  const freeB = new Set(lb.map((_, i) => i));
  const freeR = new Set(lr.map((_, i) => i));
  const refOf = (x: unknown): string | undefined => (isObject(x) && typeof x.$ref === "string" ? x.$ref : undefined);
  for (const i of freeB) {
    const ref = refOf(lb[i]);
    if (ref === undefined) continue;
    const j = [...freeR].find((k) => refOf(lr[k]) === ref);
    if (j !== undefined) {
      pairs.push([i, j]);
      freeB.delete(i);
      freeR.delete(j);
    }
  }
  const textR = new Map([...freeR].map((k) => [k, stableStringify(resolve("revision", lr[k]))]));
  for (const i of [...freeB]) {
    const text = stableStringify(resolve("base", lb[i]));
    const j = [...freeR].find((k) => textR.get(k) === text);
    if (j !== undefined) {
      pairs.push([i, j]);
      freeB.delete(i);
      freeR.delete(j);
    }
  }
  const restB = [...freeB].filter((i) => refOf(lb[i]) === undefined);
  const restR = [...freeR].filter((j) => refOf(lr[j]) === undefined);
  for (let k = 0; k < Math.min(restB.length, restR.length); k++) {
    const [b, r] = [restB[k]!, restR[k]!];
    pairs.push([b, r]);
    freeB.delete(b);
    freeR.delete(r);
  }
  return { pairs, removed: [...freeB], added: [...freeR] };
}
