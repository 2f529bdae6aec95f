/**
 * Reading several git config keys with one `git config --get-regexp`
 * process: the pattern that asks for exactly those keys, and the reading of
 * its output (`key value` lines, keys lowercased by git; the last value of a
 * key wins, as `git config KEY` reads it).
 */

/** The `--get-regexp` pattern matching exactly `keys` (e.g. `user.name`). */
export function gitConfigPattern(keys: readonly string[]): string {
  return `^(${keys.map((k) => k.replace(/\./g, "\\.")).join("|")})$`;
}

/** The values of `git config --get-regexp` output, by lowercased key. */
export function parseGitConfigList(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const space = line.indexOf(" ");
    if (space > 0) values.set(line.slice(0, space).toLowerCase(), line.slice(space + 1).replace(/\r$/, ""));
  }
  return values;
}
