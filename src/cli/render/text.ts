/** Text helpers every kind of output shares. */

/** The text up to its first line break. */
export function firstLine(text: string): string {
  return text.split(/\r\n|\r|\n/, 1)[0]!;
}

/** At most `max` characters (code points, so no emoji is cut in half): longer text ends in "…". */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text;
}

/** Rows as aligned columns, two spaces apart; the last column is not padded. */
export function formatTable(rows: string[][]): string {
  if (rows.length === 0) return "";
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}
