/**
 * What the secret scanner reads: diffs (`git diff`, `git log -p`) with the
 * added lines' numbers and commits, files streamed in chunks, binary and
 * oversized files, allow-listed paths, inline allow comments and ignore files.
 */
import { randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { createSecretScanner, loadSecretScanConfig, parseSecretIgnoreFile, type SecretFinding } from "../../src/gates/index.js";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
function randomAlnum(n: number): string {
  let out = "";
  while (out.length < n) {
    const c = ALNUM[randomInt(ALNUM.length)]!;
    if (!(/x{2}$/i.test(out) && /x/i.test(c)) && !out.endsWith(c.repeat(3))) out += c;
  }
  return out;
}
const npmToken = (): string => `npm_${randomAlnum(36)}`;
const ghToken = (): string => `ghp_${randomAlnum(36)}`;
const pem = (body: string): string => `-----${"BEGIN"} RSA PRIVATE KEY-----\n${body}\n-----${"END"} RSA PRIVATE KEY-----`;
const where = (fs: SecretFinding[]): [string, string, number, string | undefined][] => fs.map((f) => [f.ruleId, f.file, f.line, f.commit]);

describe("diffs", () => {
  test("only added lines are scanned, with their line numbers in the new file and the commit", () => {
    const removed = npmToken();
    const context = npmToken();
    const added = ghToken();
    const later = npmToken();
    const diff = [
      "commit 1111111111111111111111111111111111111111",
      "Author: A <a@example.org>",
      "",
      "    add config",
      "",
      "diff --git a/app/config.ts b/app/config.ts",
      "index 0000000..1111111 100644",
      "--- a/app/config.ts",
      "+++ b/app/config.ts",
      "@@ -10,4 +10,5 @@ export const config = {",
      `   unchanged: "${context}",`,
      `-  old: "${removed}",`,
      `+  auth: "${added}",`,
      "+  retries: 3,",
      "   region: 'eu',",
      "@@ -40,2 +41,3 @@",
      "   a: 1,",
      `+  // +++ not a header: ${later}`,
      "   b: 2,",
      "diff --git a/gone.txt b/gone.txt",
      "deleted file mode 100644",
      "--- a/gone.txt",
      "+++ /dev/null",
      "@@ -1 +0,0 @@",
      `-${npmToken()}`,
      "commit 2222222222222222222222222222222222222222",
      "",
      "diff --git a/new.env b/new.env",
      "new file mode 100644",
      "--- /dev/null",
      "+++ b/new.env",
      "@@ -0,0 +1,2 @@",
      "+A=1",
      `+NPM=${later}`,
      "",
    ].join("\n");
    const result = createSecretScanner().scanDiff(diff);
    expect(where(result.findings)).toEqual([
      ["github-token", "app/config.ts", 11, "1111111111111111111111111111111111111111"],
      ["npm-token", "app/config.ts", 42, "1111111111111111111111111111111111111111"],
      ["npm-token", "new.env", 2, "2222222222222222222222222222222222222222"],
    ]);
    expect(result.findings[0]!.ignoreId).toBe("1111111111111111111111111111111111111111:app/config.ts:github-token:11");
    expect(result.findings[0]!.column).toBe(10);
    expect(JSON.stringify(result)).not.toContain(added.slice(4));
  });

  test("a private key added across lines of one hunk is one finding; the commit can be given for a single diff", () => {
    const body = Array.from({ length: 8 }, () => randomAlnum(64)).join("\n");
    const lines = pem(body).split("\n");
    const diff = ["--- a/k", "+++ b/keys/deploy", `@@ -1,1 +1,${lines.length + 1} @@`, " # key", ...lines.map((l) => `+${l}`)].join("\n") + "\n";
    const result = createSecretScanner().scanDiff(diff, { commit: "abc1234" });
    expect(result.findings.map((f) => [f.ruleId, f.line, f.endLine, f.commit])).toEqual([["private-key", 2, 11, "abc1234"]]);
  });

  test("binary files and allow-listed paths in a diff are noted, not scanned", () => {
    const diff = [
      "diff --git a/logo.png b/logo.png",
      "Binary files a/logo.png and b/logo.png differ",
      "diff --git a/package-lock.json b/package-lock.json",
      "--- a/package-lock.json",
      "+++ b/package-lock.json",
      "@@ -1,1 +1,2 @@",
      " {",
      `+  "token": "${npmToken()}"`,
    ].join("\n");
    const result = createSecretScanner().scanDiff(diff);
    expect(result.findings).toEqual([]);
    expect(result.skipped.map((s) => [s.file, s.reason])).toEqual([
      ["logo.png", "binary"],
      ["package-lock.json", "allowlisted-path"],
    ]);
  });

  test("a diff streamed in small chunks gives the same findings", async () => {
    const lines = ["--- a/big.txt", "+++ b/big.txt", "@@ -0,0 +1,3000 @@"];
    const planted = new Map<number, string>();
    for (let i = 1; i <= 3000; i++) {
      if (i % 700 === 0) planted.set(i, ghToken());
      lines.push(`+line ${i} ${planted.get(i) ?? "nothing to see"}`);
    }
    const diff = lines.join("\n") + "\n";
    const scanner = createSecretScanner();
    const chunks = function* (): Generator<Uint8Array> {
      const bytes = Buffer.from(diff);
      for (let i = 0; i < bytes.length; i += 997) yield bytes.subarray(i, i + 997);
    };
    const streamed = await scanner.scanDiffStream(chunks(), { commit: "feed" });
    expect(streamed.findings.map((f) => f.line)).toEqual([...planted.keys()]);
    expect(streamed.findings).toEqual(scanner.scanDiff(diff, { commit: "feed" }).findings);
  });

  test("added lines given directly keep their numbers", () => {
    const token = npmToken();
    const result = createSecretScanner().scanAddedLines({
      file: "a.txt",
      commit: "c0ffee",
      lines: [
        { line: 7, text: "x = 1" },
        { line: 30, text: `t = ${token}` },
      ],
    });
    expect(where(result.findings)).toEqual([["npm-token", "a.txt", 30, "c0ffee"]]);
  });
});

describe("streamed files", () => {
  test("findings far into a large file, across part boundaries, keep their line and column", async () => {
    const filler = "const value = compute(input, options); // nothing secret here\n";
    const parts: string[] = [];
    const expected: [number, number][] = [];
    let line = 1;
    for (let i = 0; i < 60_000; i++) {
      if (i % 20_000 === 19_999) {
        parts.push(`    auth = "${ghToken()}"\n`);
        expected.push([line, 13]);
      } else parts.push(filler);
      line++;
    }
    const key = pem(Array.from({ length: 20 }, () => randomAlnum(64)).join("\n"));
    parts.push(key + "\n");
    expected.push([line, 1]);
    const text = parts.join("");
    const chunks = function* (): Generator<string> {
      for (let i = 0; i < text.length; i += 65_521) yield text.slice(i, i + 65_521);
    };
    const scanner = createSecretScanner();
    const result = await scanner.scanFileStream({ file: "big.ts" }, chunks());
    expect(result.findings.map((f) => [f.line, f.column])).toEqual(expected);
    expect(result.scannedBytes).toBe(text.length);
    expect(result.findings).toEqual(scanner.scanFile({ file: "big.ts", content: text }).findings);
  });

  test("a line longer than a part is scanned in pieces with the right columns", async () => {
    const token = npmToken();
    const prefix = "a".repeat(1_500_000);
    const text = `first\n${prefix} ${token} ${"b".repeat(1_500_000)}\nlast ${token}\n`;
    const chunks = function* (): Generator<string> {
      for (let i = 0; i < text.length; i += 100_000) yield text.slice(i, i + 100_000);
    };
    const result = await createSecretScanner().scanFileStream({ file: "min.js" }, chunks());
    expect(result.findings.map((f) => [f.line, f.column])).toEqual([
      [2, prefix.length + 2],
      [3, 6],
    ]);
  });

  test("binary content is skipped with a note, never scanned", async () => {
    const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, ...Buffer.from(` ${npmToken()} `)]);
    const scanner = createSecretScanner();
    expect(scanner.scanFile({ file: "blob.dat", content: bytes })).toEqual({
      findings: [],
      skipped: [{ file: "blob.dat", reason: "binary", note: expect.stringContaining("NUL byte") }],
      scannedBytes: 0,
    });
    expect((await scanner.scanFileStream({ file: "blob.dat" }, [bytes])).skipped.map((s) => s.reason)).toEqual(["binary"]);
  });

  test("files over the size limit are skipped with a note", async () => {
    const config = loadSecretScanConfig("[slipway]\nmaxFileBytes = 1000\n", { file: ".slipway/secret-scan.toml" });
    const scanner = createSecretScanner({ config });
    const big = `${npmToken()}\n`.repeat(40);
    expect(scanner.scanFile({ file: "big.txt", content: big }).skipped).toEqual([{ file: "big.txt", reason: "too-large", note: "1.6 KB is over the 1000 bytes limit" }]);
    expect((await scanner.scanFileStream({ file: "big.txt", size: 5000 }, [big])).skipped[0]!.reason).toBe("too-large");
    // Without a size up front: what came before the limit is scanned, the rest is noted.
    const streamed = await scanner.scanFileStream({ file: "big.txt" }, [big.slice(0, 800), big.slice(800)]);
    expect(streamed.findings.length).toBeGreaterThan(0);
    expect(streamed.skipped.map((s) => s.reason)).toEqual(["too-large"]);
  });

  test("lockfiles, vendored code and images are left out by the global allow-list", () => {
    const scanner = createSecretScanner();
    for (const file of ["package-lock.json", "web/yarn.lock", "vendor/lib/a.go", "node_modules/x/index.js", "assets/logo.PNG"]) {
      const result = scanner.scanFile({ file, content: `token = "${npmToken()}"\n` });
      expect(result.findings, file).toEqual([]);
      expect(result.skipped.map((s) => s.reason), file).toEqual(["allowlisted-path"]);
    }
  });
});

describe("allowing findings", () => {
  test("an inline gitleaks:allow or slipway:allow comment allows its line only", () => {
    const text = [`a = "${npmToken()}" // gitleaks:allow`, `b = "${npmToken()}"  # slipway:allow`, `c = "${npmToken()}"`].join("\n");
    expect(createSecretScanner().scanFile({ file: "x.py", content: text }).findings.map((f) => f.line)).toEqual([3]);
  });

  test("an ignore file names findings by fingerprint, by commit:file:rule:line or by file:rule:line", () => {
    const tokens = [npmToken(), npmToken(), npmToken(), npmToken()];
    const diff = ["commit 3333333333333333333333333333333333333333", "--- a/x", "+++ b/x", "@@ -0,0 +1,4 @@", ...tokens.map((t) => `+${t}`)].join("\n");
    const all = createSecretScanner().scanDiff(diff).findings;
    expect(all).toHaveLength(4);
    const ignore = parseSecretIgnoreFile(
      ["# reviewed: test fixtures", all[0]!.fingerprint, "", "3333333333333333333333333333333333333333:x:npm-token:2", "x:npm-token:3", "x:npm-token:99"].join("\n"),
    );
    expect(createSecretScanner({ ignore }).scanDiff(diff).findings.map((f) => f.line)).toEqual([4]);
  });

  test("a rule's allow-list with condition AND needs every criterion; OR needs one", () => {
    const token = npmToken();
    const config = (condition: string): string => `
[[rules]]
id = "npm-token"
[[rules.allowlists]]
condition = "${condition}"
paths = ['''^test/''']
regexes = ['''^npm_''']
`;
    const scan = (condition: string, file: string): number =>
      createSecretScanner({ config: loadSecretScanConfig(config(condition), { file: "s.toml" }) }).scanFile({ file, content: `${token}\n` }).findings.length;
    expect(scan("AND", "test/a.txt")).toBe(0);
    expect(scan("AND", "src/a.txt")).toBe(1);
    expect(scan("OR", "src/a.txt")).toBe(0);
  });

  test("global allow-lists: commits, stopwords, line regexes, and targetRules limiting them to some rules", () => {
    const npm = npmToken();
    const gh = ghToken();
    const config = loadSecretScanConfig(
      `
[[allowlists]]
description = "the fixture commit"
commits = ["abcdef1"]

[[allowlists]]
targetRules = ["github-token"]
regexTarget = "line"
regexes = ['''FIXTURE''']
`,
      { file: ".slipway/secret-scan.toml" },
    );
    const scanner = createSecretScanner({ config });
    const text = `${npm} FIXTURE\n${gh} FIXTURE\n`;
    expect(scanner.scanFile({ file: "a", content: text }).findings.map((f) => f.ruleId)).toEqual(["npm-token"]);
    const diff = `--- a/a\n+++ b/a\n@@ -0,0 +1,1 @@\n+${npm}\n`;
    expect(scanner.scanDiff(diff, { commit: "abcdef1234" }).findings).toEqual([]);
    expect(scanner.scanDiff(diff, { commit: "9999999" }).findings).toHaveLength(1);
  });
});
