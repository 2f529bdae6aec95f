/**
 * A small Gherkin reader for the flagd testbed: features, backgrounds,
 * scenarios, scenario outlines with tagged Examples blocks, and step data
 * tables. Cells are unescaped by Gherkin's rules only (\|, \\, \n).
 */
import fs from "node:fs";

interface GherkinStep {
  keyword: string;
  text: string;
  table?: string[][];
}

/** One runnable case: a plain scenario, or one Examples row of an outline. */
export interface GherkinCase {
  file: string;
  feature: string;
  scenario: string;
  /** Examples block name and row number, for outline rows. */
  example?: string;
  tags: Set<string>;
  steps: GherkinStep[];
}

function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  const body = line.trim();
  for (let i = 1; i < body.length; i++) {
    const c = body[i];
    if (c === "\\" && i + 1 < body.length) {
      const n = body[i + 1];
      if (n === "|" || n === "\\") {
        cell += n;
        i++;
        continue;
      }
      if (n === "n") {
        cell += "\n";
        i++;
        continue;
      }
      cell += c;
      continue;
    }
    if (c === "|") {
      cells.push(cell.trim());
      cell = "";
      continue;
    }
    cell += c;
  }
  return cells;
}

interface RawScenario {
  name: string;
  tags: string[];
  outline: boolean;
  steps: GherkinStep[];
  examples: { name: string; tags: string[]; header?: string[]; rows: string[][] }[];
}

/** Reads a feature file; `name` (default: the path) identifies its cases. */
export function readFeature(file: string, name = file): GherkinCase[] {
  const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
  let pendingTags: string[] = [];
  let featureName = "";
  let featureTags: string[] = [];
  let background: GherkinStep[] = [];
  const scenarios: RawScenario[] = [];
  let target: GherkinStep[] | null = null;
  let current: RawScenario | null = null;
  let inExamples = false;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("@")) {
      pendingTags.push(...line.split(/\s+/).filter((t) => t.startsWith("@")));
      continue;
    }
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^Feature:\s*(.*)$/))) {
      featureName = m[1]!;
      featureTags = pendingTags;
      pendingTags = [];
      continue;
    }
    if (line.startsWith("Background:")) {
      background = [];
      target = background;
      current = null;
      inExamples = false;
      continue;
    }
    if ((m = line.match(/^Scenario( Outline| Template)?:\s*(.*)$/))) {
      current = { name: m[2]!, tags: pendingTags, outline: !!m[1], steps: [], examples: [] };
      pendingTags = [];
      scenarios.push(current);
      target = current.steps;
      inExamples = false;
      continue;
    }
    if ((m = line.match(/^(Examples|Scenarios):\s*(.*)$/))) {
      if (!current) throw new Error(`${file}: Examples outside a scenario`);
      current.examples.push({ name: m[2]!, tags: pendingTags, rows: [] });
      pendingTags = [];
      inExamples = true;
      continue;
    }
    if (line.startsWith("|")) {
      const cells = splitRow(line);
      if (inExamples && current) {
        const ex = current.examples[current.examples.length - 1];
        if (!ex) throw new Error(`${file}: a table row outside its Examples`);
        if (!ex.header) ex.header = cells;
        else ex.rows.push(cells);
      } else if (target && target.length > 0) {
        const step = target[target.length - 1]!;
        (step.table ??= []).push(cells);
      }
      continue;
    }
    if ((m = line.match(/^(Given|When|Then|And|But|\*)\s+(.*)$/))) {
      if (!target) throw new Error(`${file}: step outside a scenario: ${line}`);
      target.push({ keyword: m[1]!, text: m[2]! });
      continue;
    }
    // Free text under Feature: (its description).
  }
  const cases: GherkinCase[] = [];
  for (const s of scenarios) {
    const base = [...featureTags, ...s.tags];
    if (!s.outline) {
      cases.push({ file: name, feature: featureName, scenario: s.name, tags: new Set(base), steps: [...background, ...s.steps] });
      continue;
    }
    for (const ex of s.examples) {
      const header = ex.header ?? [];
      ex.rows.forEach((row, i) => {
        const fill = (text: string) => text.replace(/<([^>]+)>/g, (whole, name: string) => {
          const at = header.indexOf(name);
          return at < 0 ? whole : (row[at] ?? "");
        });
        const steps = [...background, ...s.steps].map((st) => ({
          keyword: st.keyword,
          text: fill(st.text),
          table: st.table?.map((r) => r.map(fill)),
        }));
        cases.push({
          file: name,
          feature: featureName,
          scenario: s.name,
          example: `${ex.name || "Examples"} #${i + 1}`,
          tags: new Set([...base, ...ex.tags]),
          steps,
        });
      });
    }
  }
  return cases;
}
