/**
 * Workflow commands written to a step's stdout or stderr:
 * `::name key=value,key=value::data` (and the older `##[name key=value;]data`).
 * Property values escape `%`, CR, LF, `:` and `,`; data escapes `%`, CR and LF.
 */
export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
}

function unescapeData(text: string): string {
  return text.replace(/%0D/gi, "\r").replace(/%0A/gi, "\n").replace(/%25/g, "%");
}

function unescapeProperty(text: string): string {
  return text
    .replace(/%0D/gi, "\r")
    .replace(/%0A/gi, "\n")
    .replace(/%3A/gi, ":")
    .replace(/%2C/gi, ",")
    .replace(/%25/g, "%");
}

/** Parses one output line; null when it is not a command. Leading whitespace is allowed, as on GitHub. */
export function parseWorkflowCommand(line: string): WorkflowCommand | null {
  const text = line.trimStart();
  if (text.startsWith("::")) {
    const end = text.indexOf("::", 2);
    if (end < 0) return null;
    const info = text.slice(2, end);
    const space = info.indexOf(" ");
    const name = space < 0 ? info : info.slice(0, space);
    if (name === "") return null;
    const properties: Record<string, string> = {};
    if (space >= 0) {
      for (const part of info.slice(space + 1).split(",")) {
        const eq = part.indexOf("=");
        if (eq <= 0) continue;
        const key = part.slice(0, eq).trim();
        if (key) properties[key] = unescapeProperty(part.slice(eq + 1));
      }
    }
    return { name, properties, data: unescapeData(text.slice(end + 2)) };
  }
  if (text.startsWith("##[")) {
    const end = text.indexOf("]", 3);
    if (end < 0) return null;
    const info = text.slice(3, end);
    const space = info.indexOf(" ");
    const name = space < 0 ? info : info.slice(0, space);
    if (name === "") return null;
    const properties: Record<string, string> = {};
    if (space >= 0) {
      for (const part of info.slice(space + 1).split(";")) {
        const eq = part.indexOf("=");
        if (eq <= 0) continue;
        const key = part.slice(0, eq).trim();
        if (key) properties[key] = unescapeProperty(part.slice(eq + 1));
      }
    }
    return { name, properties, data: unescapeData(text.slice(end + 1)) };
  }
  return null;
}
