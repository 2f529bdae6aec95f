/**
 * Env files (GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STATE): `NAME=value` lines and
 * the heredoc form
 *
 *     NAME<<DELIMITER
 *     line 1
 *     line 2
 *     DELIMITER
 *
 * parsed as GitHub's runner does: whichever of `=` and `<<` comes first
 * decides the form; a heredoc without its closing delimiter is an error.
 */
export class EnvFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EnvFileError";
  }
}

/** Parses an env file into ordered [name, value] pairs; throws EnvFileError on malformed content. */
export function parseEnvFile(text: string, fileLabel: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (text === "") return pairs;
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === "") continue;
    const eq = line.indexOf("=");
    const heredoc = line.indexOf("<<");
    if (eq >= 0 && (heredoc < 0 || eq < heredoc)) {
      const name = line.slice(0, eq);
      if (name === "") throw new EnvFileError(`Invalid format '${line}' in ${fileLabel}: the name must not be empty`);
      pairs.push([name, line.slice(eq + 1)]);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === "") throw new EnvFileError(`Invalid format '${line}' in ${fileLabel}: the name must not be empty`);
      if (delimiter === "") throw new EnvFileError(`Invalid format '${line}' in ${fileLabel}: the delimiter must not be empty`);
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) {
        throw new EnvFileError(`Invalid value for '${name}' in ${fileLabel}: matching delimiter not found '${delimiter}'`);
      }
      pairs.push([name, value.join("\n")]);
    } else {
      throw new EnvFileError(`Invalid format '${line}' in ${fileLabel}`);
    }
  }
  return pairs;
}

/** GITHUB_PATH: one directory per non-empty line, in file order. */
export function parsePathFile(text: string): string[] {
  return text
    .split("\n")
    .map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l))
    .filter((l) => l.trim() !== "");
}
