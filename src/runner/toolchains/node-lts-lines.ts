/**
 * Node.js LTS release lines: codename, major version and the first release
 * of the line that was LTS. Source of the facts: the Node.js release
 * schedule (github.com/nodejs/Release) and the `lts` field of
 * https://nodejs.org/dist/index.json. Used only when no release index is
 * reachable (e.g. behind an npm-only proxy): the npm registry lists
 * versions but not which of them are LTS. A line missing here is still
 * installable by number; add a row when a new line enters LTS.
 */
export interface LtsLine {
  codename: string;
  major: number;
  /** The first version of the line released as LTS. */
  firstLts: string;
}

export const NODE_LTS_LINES: readonly LtsLine[] = [
  { codename: "argon", major: 4, firstLts: "4.2.0" },
  { codename: "boron", major: 6, firstLts: "6.9.0" },
  { codename: "carbon", major: 8, firstLts: "8.9.0" },
  { codename: "dubnium", major: 10, firstLts: "10.13.0" },
  { codename: "erbium", major: 12, firstLts: "12.13.0" },
  { codename: "fermium", major: 14, firstLts: "14.15.0" },
  { codename: "gallium", major: 16, firstLts: "16.13.0" },
  { codename: "hydrogen", major: 18, firstLts: "18.12.0" },
  { codename: "iron", major: 20, firstLts: "20.9.0" },
  { codename: "jod", major: 22, firstLts: "22.11.0" },
  { codename: "krypton", major: 24, firstLts: "24.11.0" },
];
