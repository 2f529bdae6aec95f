/**
 * Secret-scan configuration: Slipway's `.slipway/secret-scan.toml` (extends
 * the default rules) and gitleaks' format (replaces them unless extended),
 * the TOML subset they are read with, and errors that name file and line.
 */
import { randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { isSlipwayError } from "../../src/lib/index.js";
import { createSecretScanner, defaultSecretScanConfig, loadSecretScanConfig, type LoadSecretScanConfigOptions } from "../../src/gates/index.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Random alphanumerics without an "xxx" run (a placeholder to the global allow-list). */
function randomAlnum(n: number): string {
  for (;;) {
    const v = Array.from({ length: n }, () => ALNUM[randomInt(ALNUM.length)]).join("");
    if (!/x{3}/i.test(v)) return v;
  }
}
const defaultIds = defaultSecretScanConfig().rules.map((r) => r.id);

function configError(text: string, options: Partial<LoadSecretScanConfigOptions> = {}): { message: string; line?: number; hint: string } {
  try {
    loadSecretScanConfig(text, { file: ".slipway/secret-scan.toml", ...options });
  } catch (error) {
    if (isSlipwayError(error) && error.code === "SECRET_SCAN_CONFIG_INVALID") return { message: error.message, line: error.position?.line, hint: error.hint };
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

describe("configuration files", () => {
  test("Slipway's file adds rules to the defaults; a rule's keywords, entropy and secret group apply", () => {
    const config = loadSecretScanConfig(
      `
# Internal tokens look like acme_<32 hex>.
[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = '''\\b(acme)_([0-9a-f]{32})\\b'''
secretGroup = 2
entropy = 3.0
keywords = ["ACME_"]
tags = ["internal"]
`,
      { file: ".slipway/secret-scan.toml" },
    );
    expect(config.rules.map((r) => r.id)).toEqual([...defaultIds, "acme-token"]);
    const hex = Array.from({ length: 32 }, () => "0123456789abcdef"[randomInt(16)]).join("");
    const scanner = createSecretScanner({ config });
    const [f] = scanner.scanFile({ file: "a.txt", content: `x acme_${hex}\nacme_${"0".repeat(32)}\n` }).findings;
    expect(f).toMatchObject({ ruleId: "acme-token", line: 1, column: 8, redacted: hex.slice(0, 4) + "…", tags: ["internal"] });
    expect(scanner.scanFile({ file: "a.txt", content: `acme_${"0".repeat(32)}\n` }).findings).toEqual([]);
  });

  test("a gitleaks file without [extend] replaces the defaults; with useDefault it extends them minus disabledRules", () => {
    const own = `
title = "company rules"
[[rules]]
id = "corp-key"
regex = '''(?i)corp-key-[a-z0-9]{16}'''
keywords = ["corp-key-"]
`;
    expect(loadSecretScanConfig(own, { file: ".gitleaks.toml", format: "gitleaks" }).rules.map((r) => r.id)).toEqual(["corp-key"]);
    const extended = loadSecretScanConfig(`[extend]\nuseDefault = true\ndisabledRules = ["generic-secret", "jwt"]\n${own}`, { file: ".gitleaks.toml", format: "gitleaks" });
    expect(extended.rules.map((r) => r.id)).toEqual([...defaultIds.filter((id) => id !== "generic-secret" && id !== "jwt"), "corp-key"]);
    // (?i) became the i flag.
    const content = `CORP-KEY-${randomAlnum(16).toUpperCase()}\n`;
    expect(createSecretScanner({ config: extended }).scanFile({ file: "a", content }).findings.map((f) => f.ruleId)).toEqual(["corp-key"]);
    // Slipway's own file can also start from nothing.
    expect(loadSecretScanConfig("[extend]\nuseDefault = false\n", { file: "s.toml" }).rules).toEqual([]);
  });

  test("[extend] path reads another file through the given reader, at most two levels deep", () => {
    const files: Record<string, string> = {
      "base.toml": `[[rules]]\nid = "base-rule"\nregex = '''base-[0-9]{6}'''\nkeywords = ["base-"]\n`,
      "loop.toml": `[extend]\npath = "loop.toml"\n`,
    };
    const readFile = (p: string): string => {
      const text = files[p];
      if (text === undefined) throw new Error("no such file");
      return text;
    };
    const config = loadSecretScanConfig(`[extend]\npath = "base.toml"\n[[rules]]\nid = "base-rule"\nentropy = 2.5\n`, { file: "top.toml", readFile });
    expect(config.rules.map((r) => [r.id, r.entropy, r.regex?.source])).toEqual([["base-rule", 2.5, "base-[0-9]{6}"]]);
    expect(configError(`[extend]\npath = "loop.toml"\n`, { readFile }).message).toMatch(/nested more than 2 levels/);
    expect(configError(`\n[extend]\npath = "missing.toml"\n`, { readFile })).toMatchObject({ line: 3, message: expect.stringMatching(/cannot be read/) });
    expect(configError(`[extend]\npath = "base.toml"\n`).message).toMatch(/\[extend\] path is not supported/);
  });

  test("overriding a default rule keeps its regex and adds allow-lists; the old singular [allowlist] forms are read", () => {
    const config = loadSecretScanConfig(
      `
[[rules]]
id = "npm-token"
[rules.allowlist]
paths = ['''^fixtures/''']

[allowlist]
description = "generated docs"
paths = [
  '''^docs/generated/''', # API docs with sample tokens
  '''\\.snap$''',
]
stopwords = ["sandbox"]
`,
      { file: ".slipway/secret-scan.toml" },
    );
    const npm = config.rules.find((r) => r.id === "npm-token")!;
    expect(npm.regex).toBeDefined();
    expect(npm.allowlists).toHaveLength(1);
    const scanner = createSecretScanner({ config });
    const token = `npm_${randomAlnum(36)}`;
    expect(scanner.scanFile({ file: "fixtures/a.txt", content: token }).findings).toEqual([]);
    expect(scanner.scanFile({ file: "docs/generated/x.md", content: token }).skipped[0]!.reason).toBe("allowlisted-path");
    expect(scanner.scanFile({ file: "src/a.txt", content: token }).findings).toHaveLength(1);
  });

  test("inline allow markers and the size limit are Slipway settings", () => {
    const config = loadSecretScanConfig(`[slipway]\ninlineAllowMarkers = ["pragma: allowlist secret"]\nmaxFileBytes = 2_048\n`, { file: "s.toml" });
    expect(config.maxFileBytes).toBe(2048);
    const token = `npm_${randomAlnum(36)}`;
    const scanner = createSecretScanner({ config });
    expect(scanner.scanFile({ file: "a", content: `${token} # pragma: allowlist secret\n${token} # gitleaks:allow\n` }).findings.map((f) => f.line)).toEqual([2]);
  });

  test("TOML strings: escapes, literal and multi-line forms", () => {
    const config = loadSecretScanConfig(
      `
[[rules]]
id = "quoted"
description = "tab\\there \\u00e9 \\"q\\""
regex = "a\\\\d{3}"
keywords = [ 'a' ]
[[rules]]
id = "multi"
description = """
two \\
  joined"""
regex = '''
b\\d{3}'''
keywords = ["b",]
`,
      { file: "s.toml", format: "gitleaks" },
    );
    expect(config.rules.map((r) => [r.id, r.description, r.regex!.source])).toEqual([
      ["quoted", 'tab\there é "q"', "a\\d{3}"],
      ["multi", "two joined", "b\\d{3}"],
    ]);
  });
});

describe("invalid configuration", () => {
  const cases: [string, string, number, RegExp][] = [
    ["TOML syntax", `[[rules]]\nid = "x"\nregex = '''a\n`, 3, /TOML syntax: a ''' string is not closed/],
    ["an unquoted string", `[[rules]]\nid = x-rule\n`, 2, /'x-rule' is not a TOML value/],
    ["a key defined twice", `title = "a"\ntitle = "b"\n`, 2, /'title' is defined twice/],
    ["an invalid regex", `\n[[rules]]\nid = "x"\nregex = '''(a'''\n`, 4, /'regex' is not a valid regular expression/],
    ["a mid-pattern inline flag", `[[rules]]\nid = "x"\nregex = '''a(?i:b)'''\n`, 3, /inline flag group/],
    ["a rule without id", `[[rules]]\nregex = "a"\n`, 1, /needs an 'id'/],
    ["a rule without regex or path", `[[rules]]\nid = "x"\nkeywords = ["x"]\n`, 1, /needs a 'regex' or a 'path'/],
    ["a wrong type", `[[rules]]\nid = "x"\nregex = "a"\nkeywords = "a"\n`, 4, /'keywords' must be an array of strings/],
    ["a secret group past the regex's groups", `[[rules]]\nid = "x"\nregex = "(a)"\nsecretGroup = 2\n`, 4, /has 1 group/],
    ["a rule defined twice", `[[rules]]\nid = "x"\nregex = "a"\n[[rules]]\nid = "x"\nregex = "b"\n`, 5, /defined twice/],
    ["an unknown key", `[[rules]]\nid = "x"\nregex = "a"\nkeyword = ["a"]\n`, 4, /unknown key 'keyword'/],
    ["a bad condition", `[allowlist]\ncondition = "XOR"\npaths = ["a"]\n`, 2, /'condition' must be "OR" or "AND"/],
    ["an empty allow-list", `\n[allowlist]\ndescription = "nothing"\n`, 2, /has no commits, paths, regexes or stopwords/],
    ["targetRules naming an unknown rule", `[[allowlists]]\ntargetRules = ["nope"]\npaths = ["a"]\n`, 2, /targets rule 'nope'/],
    ["a date", `when = 2024-01-01\n`, 1, /dates and times are not supported/],
  ];
  for (const [name, text, line, message] of cases) {
    test(`${name}: SECRET_SCAN_CONFIG_INVALID at file:line`, () => {
      const e = configError(text);
      expect(e.line).toBe(line);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`.slipway/secret-scan.toml:${line}: `)).toBe(true);
      expect(e.hint.length).toBeGreaterThan(15);
    });
  }

  test("unknown keys are tolerated in a gitleaks file, as gitleaks does", () => {
    expect(loadSecretScanConfig(`[[rules]]\nid = "x"\nregex = "a"\nkeywords = ["a"]\nskipReport = false\n`, { file: ".gitleaks.toml", format: "gitleaks" }).rules).toHaveLength(1);
  });
});
