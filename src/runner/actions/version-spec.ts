/**
 * Version requests of setup-* actions (`20`, `20.x`, `>=18 <21`, `^1.21`,
 * `~3.11.2`, `18 || 20`, `lts/*`, `latest`) matched against one found version.
 */

export interface FoundVersion {
  /** e.g. `20.11.1` (no leading v). */
  version: string;
  /** LTS codename for Node.js releases, lower case; "" when not an LTS line. */
  lts?: string;
}

type Parts = [number, number, number];

function parseParts(text: string): { parts: Parts; given: number } | undefined {
  const m = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?/.exec(text.trim());
  if (!m) return undefined;
  const raw = [m[1], m[2], m[3]];
  let given = 0;
  const parts: number[] = [];
  for (const r of raw) {
    if (r === undefined || /^[xX*]$/.test(r)) break;
    parts.push(Number(r));
    given++;
  }
  while (parts.length < 3) parts.push(0);
  return { parts: parts as Parts, given };
}

function compare(a: Parts, b: Parts): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function prefixMatches(found: Parts, want: Parts, given: number): boolean {
  for (let i = 0; i < given; i++) if (found[i] !== want[i]) return false;
  return true;
}

function satisfiesComparator(found: Parts, comparator: string): boolean {
  const m = /^(>=|<=|>|<|=|\^|~)?\s*(.*)$/.exec(comparator)!;
  const op = m[1] ?? "";
  const parsed = parseParts(m[2]!);
  if (!parsed) return false;
  const { parts, given } = parsed;
  const cmp = compare(found, parts);
  switch (op) {
    case ">=":
      return cmp >= 0;
    case ">":
      // `>20` means above every 20.x.
      return given === 3 ? cmp > 0 : !prefixMatches(found, parts, given) && cmp > 0;
    case "<=":
      return cmp <= 0 || prefixMatches(found, parts, given);
    case "<":
      return cmp < 0;
    case "^": {
      if (cmp < 0) return false;
      const lead = parts[0] !== 0 || given === 1 ? 1 : parts[1] !== 0 || given === 2 ? 2 : 3;
      return prefixMatches(found, parts, Math.min(lead, given));
    }
    case "~":
      return cmp >= 0 && prefixMatches(found, parts, Math.min(given, 2));
    default:
      return prefixMatches(found, parts, given);
  }
}

/** Whether `found` satisfies the request `spec`. Unknown aliases never match. */
export function satisfiesVersionSpec(found: FoundVersion, spec: string): boolean {
  const s = spec.trim().toLowerCase();
  if (["", "*", "x", "latest", "current", "node", "stable"].includes(s)) return true;
  if (s.startsWith("lts/")) {
    const lts = (found.lts ?? "").toLowerCase();
    const name = s.slice(4);
    return lts !== "" && (name === "*" || name === lts);
  }
  const parts = parseParts(found.version);
  if (!parts) return false;
  return s.split("||").some((alternative) => {
    const tokens = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/)
      .filter((t) => t !== "");
    // `1.2 - 1.4` hyphen ranges.
    if (tokens.length === 3 && tokens[1] === "-") {
      return satisfiesComparator(parts.parts, `>=${tokens[0]}`) && satisfiesComparator(parts.parts, `<=${tokens[2]}`);
    }
    return tokens.length > 0 && tokens.every((t) => satisfiesComparator(parts.parts, t));
  });
}
