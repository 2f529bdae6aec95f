/**
 * The default secret rules: for each rule, true positives synthesised at run
 * time from the provider's documented format (random characters of the right
 * alphabet and length, never stored secrets) and false positives
 * (placeholders, documentation examples, low entropy). Every finding of
 * every rule is checked to hold no part of the secret beyond its redacted head.
 */
import { randomInt } from "node:crypto";
import { describe, expect, test } from "vitest";
import { createSecretScanner, defaultSecretScanConfig, fingerprintSecret, measureEntropy, type SecretFinding } from "../../src/gates/index.js";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const ALNUM = UPPER + LOWER + DIGITS;
const BASE64 = ALNUM + "+/";
const BASE64URL = ALNUM + "-_";
const BASE32 = UPPER + "234567";

/**
 * Random characters of an alphabet, without the runs placeholders are made
 * of (xxx, the same character four times); a draw of 16 or more characters
 * repetitive enough to fall under 3.3 bits per character is drawn again, as
 * a real token practically never is.
 */
function randomOf(alphabet: string, n: number): string {
  for (;;) {
    let out = "";
    while (out.length < n) {
      const c = alphabet[randomInt(alphabet.length)]!;
      if (out.length >= 3 && out.endsWith(c.repeat(3))) continue;
      if (/x{2}$/i.test(out) && /x/i.test(c)) continue;
      out += c;
    }
    if (n < 16 || measureEntropy(out) >= 3.3) return out;
  }
}

const GENERIC_STOPWORDS = defaultSecretScanConfig()
  .rules.find((r) => r.id === "generic-secret")!
  .allowlists.flatMap((a) => a.stopwords);

/** A random value for the generic rule: one holding a placeholder word by chance, or below its entropy, is drawn again. */
function randomValue(alphabet: string, n: number): string {
  for (;;) {
    const v = randomOf(alphabet, n);
    if (measureEntropy(v) >= 3.7 && !GENERIC_STOPWORDS.some((w) => v.toLowerCase().includes(w))) return v;
  }
}
const randomAlnum = (n: number): string => randomOf(ALNUM, n);
const base64url = (json: object): string => Buffer.from(JSON.stringify(json)).toString("base64url");
/** Built in pieces so this file holds no PEM marker a scanner would flag. */
const pem = (kind: string, body: string): string => `-----${"BEGIN"} ${kind}PRIVATE KEY-----\n${body}\n-----${"END"} ${kind}PRIVATE KEY-----`;

interface Case {
  /** The file content; `secret` is what the finding must be about. */
  text: string;
  secret: string;
  file?: string;
}

/** True positives per rule, built at run time. */
const POSITIVES: Record<string, () => Case[]> = {
  "aws-access-key-id": () =>
    ["AKIA", "ASIA"].map((prefix) => {
      const secret = prefix + randomOf(BASE32, 16);
      return { text: `aws_access_key_id = ${secret}\n`, secret, file: ".aws/credentials" };
    }),
  "aws-secret-access-key": () => {
    const secret = randomOf(BASE64, 40);
    return [
      { text: `[default]\naws_secret_access_key = ${secret}\n`, secret, file: ".aws/credentials" },
      { text: `export AWS_SECRET_ACCESS_KEY="${secret}"\n`, secret, file: "env.sh" },
    ];
  },
  "github-token": () =>
    ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"].map((prefix) => {
      const secret = prefix + randomAlnum(36);
      return { text: `const client = new Octokit({ auth: "${secret}" });\n`, secret, file: "src/client.ts" };
    }),
  "github-fine-grained-token": () => {
    const secret = `github_pat_${randomAlnum(22)}_${randomAlnum(59)}`;
    return [{ text: `GH_TOKEN=${secret}\n`, secret, file: ".env" }];
  },
  "gitlab-token": () => {
    const classic = `glpat-${randomOf(BASE64URL, 20)}`;
    const routable = `glpat-${randomOf(BASE64URL, 40)}.01.${randomOf(LOWER + DIGITS, 9)}`;
    return [
      { text: `git clone https://oauth2:${classic}@gitlab.com/group/project.git\n`, secret: classic, file: "scripts/clone.sh" },
      { text: `private_token: ${routable}\n`, secret: routable, file: "ci/config.yml" },
    ];
  },
  "slack-token": () =>
    ["xoxb-", "xoxp-"].map((prefix) => {
      const secret = `${prefix}${randomOf(DIGITS, 11)}-${randomOf(DIGITS, 12)}-${randomAlnum(24)}`;
      return { text: `slack.init(token: '${secret}')\n`, secret, file: "bot.rb" };
    }),
  "slack-webhook-url": () => {
    const secret = `T${randomOf(UPPER + DIGITS, 10)}/B${randomOf(UPPER + DIGITS, 10)}/${randomAlnum(24)}`;
    return [{ text: `curl -X POST https://hooks.slack.com/services/${secret} -d @payload.json\n`, secret, file: "notify.sh" }];
  },
  "stripe-live-key": () =>
    ["sk_live_", "rk_live_"].map((prefix) => {
      const secret = prefix + randomAlnum(34);
      return { text: `Stripe.api_key = "${secret}"\n`, secret, file: "config/stripe.rb" };
    }),
  "npm-token": () => {
    const secret = `npm_${randomAlnum(36)}`;
    return [{ text: `//registry.npmjs.org/:_authToken=${secret}\n`, secret, file: ".npmrc" }];
  },
  "pypi-token": () => {
    const secret = `pypi-AgEIcHlwaS5vcmc${randomOf(BASE64URL, 120)}`;
    return [{ text: `[pypi]\nusername = __token__\npassword = ${secret}\n`, secret, file: ".pypirc" }];
  },
  "google-api-key": () => {
    const secret = `AIza${randomOf(BASE64URL, 35)}`;
    return [{ text: `<meta name="maps-key" content="${secret}">\n`, secret, file: "index.html" }];
  },
  "azure-storage-account-key": () => {
    const secret = `${randomOf(BASE64, 86)}==`;
    return [{ text: `"Storage": "DefaultEndpointsProtocol=https;AccountName=acct${randomOf(LOWER, 6)};AccountKey=${secret};EndpointSuffix=core.windows.net"\n`, secret, file: "appsettings.json" }];
  },
  "azure-shared-access-key": () => {
    const secret = `${randomOf(BASE64, 43)}=`;
    return [{ text: `Endpoint=sb://bus-${randomOf(LOWER, 5)}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${secret}\n`, secret, file: "local.settings.txt" }];
  },
  "private-key": () =>
    ["RSA ", "OPENSSH ", "", "EC "].map((kind) => {
      const body = Array.from({ length: 12 }, () => randomOf(BASE64, 64)).join("\n");
      const secret = pem(kind, body);
      return { text: `# deploy key\n${secret}\n`, secret, file: "deploy/id_key" };
    }),
  jwt: () => {
    const secret = `${base64url({ alg: "HS256", typ: "JWT" })}.${base64url({ sub: randomAlnum(12), iat: 1700000000 + randomInt(1e6) })}.${randomOf(BASE64URL, 43)}`;
    return [{ text: `Authorization: Bearer ${secret}\n`, secret, file: "docs/request.http" }];
  },
  "generic-secret": () => {
    const a = randomValue(ALNUM + "!#%&*+-=?@^_~", 18);
    const b = randomValue(ALNUM, 24);
    const c = randomValue(ALNUM, 32);
    return [
      { text: `db:\n  password: "${a}"\n`, secret: a, file: "config/database.yml" },
      { text: `API_KEY=${b}\n`, secret: b, file: ".env.production" },
      { text: `{ "client_secret": "${c}", "client_id": "abc" }\n`, secret: c, file: "oauth.json" },
    ];
  },
};

/** False positives: none of these may produce a finding. */
const NEGATIVES: { name: string; text: () => string; file?: string }[] = [
  { name: "AWS's documented example key id", text: () => `aws_access_key_id = ${"AKIA" + "IOSFODNN7" + "EXAMPLE"}\n` },
  { name: "a GitHub token of x's", text: () => `token: ghp_${"x".repeat(36)}\n` },
  { name: "a low-entropy GitHub token", text: () => `auth: "ghp_${"ab".repeat(18)}"\n` },
  { name: "a token of the wrong length", text: () => `ghp_${randomAlnum(20)}\n` },
  { name: "a Stripe test key", text: () => `STRIPE_KEY=sk_test_${randomAlnum(24)}\n` },
  { name: "an environment variable reference", text: () => `token = "\${GITHUB_TOKEN}"\n` },
  { name: "a template variable", text: () => `password: {{ .Values.db.password }}\n`, file: "chart/values.yaml" },
  { name: "a GitHub Actions expression", text: () => `        API_TOKEN: \${{ secrets.API_TOKEN }}\n`, file: ".github/workflows/ci.yml" },
  { name: "an angle-bracket placeholder", text: () => `api_key = "<your-api-key>"\n` },
  { name: "a placeholder word", text: () => `secret = "changeme123"\npassword = "your_password_here"\n` },
  { name: "a low-entropy password", text: () => `password = "aaaabbbbaaaabbbb"\n` },
  { name: "a code reference", text: () => `const apiKey = config.services.payments.apiKey;\npassword = process.env.DB_PASSWORD\n`, file: "src/app.ts" },
  { name: "a function call", text: () => `const token = await readToken(user.id, scope);\n`, file: "src/auth.ts" },
  { name: "a TypeScript type", text: () => `interface Login { password: string; token?: AccessToken }\n`, file: "src/types.ts" },
  { name: "a private key placeholder", text: () => `${pem("", "...")}\n` },
  { name: "an Azure connection string with a placeholder key", text: () => `DefaultEndpointsProtocol=https;AccountName=devstore;AccountKey=<storage-key>;\n` },
  { name: "a Slack webhook from the docs", text: () => `https://hooks.slack.com/services/T00000000/B00000000/${"X".repeat(24)}\n` },
  { name: "prose about tokens", text: () => `Set the token option to a personal access token with the repo scope.\n`, file: "README.md" },
];

function scanOne(text: string, file = "fixture.txt"): SecretFinding[] {
  const result = createSecretScanner().scanFile({ file, content: text });
  expect(result.skipped).toEqual([]);
  return result.findings;
}

const DESCRIPTIONS = defaultSecretScanConfig()
  .rules.map((r) => r.description)
  .join("\n");

/**
 * Asserts serialised findings hold no 8-character piece of the secret, other
 * than public text a rule's description names (a prefix such as github_pat_,
 * a PEM marker).
 */
function expectNoSecret(findings: unknown, secret: string): void {
  const json = JSON.stringify(findings);
  expect(json.includes(secret)).toBe(false);
  for (let i = 0; i + 8 <= secret.length; i++) {
    const piece = secret.slice(i, i + 8);
    if (DESCRIPTIONS.includes(piece) || /^-+$|BEGIN|PRIVATE|[A-Z]+ KEY/.test(piece)) continue;
    expect(json.includes(piece), `piece ${i} of the secret is in the finding`).toBe(false);
  }
}

describe("default rules", () => {
  const ids = defaultSecretScanConfig().rules.map((r) => r.id);

  test("every default rule has true positives here", () => {
    expect(Object.keys(POSITIVES).sort()).toEqual([...ids].sort());
  });

  for (const id of ids) {
    test(`${id}: synthesised secrets are found, once each, with their position`, () => {
      for (const c of POSITIVES[id]!()) {
        const file = c.file ?? "fixture.txt";
        const findings = scanOne(c.text, file);
        expect(findings.map((f) => f.ruleId), c.text.slice(0, 60)).toEqual([id]);
        const f = findings[0]!;
        const index = c.text.indexOf(c.secret);
        const before = c.text.slice(0, index);
        expect(f.line).toBe(before.split("\n").length);
        expect(f.column).toBe(index - before.lastIndexOf("\n"));
        const lines = c.secret.split("\n");
        expect(f.endLine).toBe(f.line + lines.length - 1);
        expect(f.endColumn).toBe(lines.length === 1 ? f.column + c.secret.length - 1 : lines[lines.length - 1]!.length);
        expect(f.file).toBe(file);
        expect(f.fingerprint).toBe(fingerprintSecret(id, file, c.secret));
        expect(f.ignoreId).toBe(`${file}:${id}:${f.line}`);
        expect(f.commit).toBeUndefined();
        expect(f.entropy).toBeCloseTo(measureEntropy(c.secret), 1);
        expect(c.secret.startsWith(f.redacted.slice(0, -1))).toBe(true);
        expect(f.redacted.endsWith("…")).toBe(true);
        expectNoSecret(findings, c.secret);
      }
    });
  }

  test("a finding never holds the secret, for every rule, in every field", () => {
    for (const id of ids) {
      for (const c of POSITIVES[id]!()) {
        const result = createSecretScanner().scanFile({ file: "x.txt", content: c.text });
        expect(result.findings.length, id).toBeGreaterThan(0);
        expectNoSecret(result, c.secret);
      }
    }
  });

  for (const n of NEGATIVES) {
    test(`no finding: ${n.name}`, () => {
      expect(scanOne(n.text(), n.file)).toEqual([]);
    });
  }

  test("a short password shows at most a fifth of itself", () => {
    // Twelve different characters: log2(12) ≈ 3.58 bits, just over the generic rule's 3.5.
    let secret = "";
    while (secret.length < 12 || GENERIC_STOPWORDS.some((w) => secret.toLowerCase().includes(w))) {
      secret = "";
      while (secret.length < 12) {
        const c = ALNUM[randomInt(ALNUM.length)]!;
        if (!secret.includes(c)) secret += c;
      }
    }
    const findings = scanOne(`password = "${secret}"\n`);
    expect(findings.map((f) => [f.redacted, f.match])).toEqual([[secret.slice(0, 2) + "…", `password = "${secret.slice(0, 2)}…"`]]);
  });

  test("a token assigned to a token-named variable is one specific finding, not also a generic one", () => {
    const secret = `ghp_${randomAlnum(36)}`;
    expect(scanOne(`token = "${secret}"\n`).map((f) => f.ruleId)).toEqual(["github-token"]);
  });

  test("several secrets on one line and on later lines are all found", () => {
    const a = `npm_${randomAlnum(36)}`;
    const b = `ghp_${randomAlnum(36)}`;
    const c = `AIza${randomOf(BASE64URL, 35)}`;
    const findings = scanOne(`x ${a} y ${b}\n\n\n  key: ${c}\n`);
    expect(findings.map((f) => [f.ruleId, f.line, f.column])).toEqual([
      ["npm-token", 1, 3],
      ["github-token", 1, 46],
      ["google-api-key", 4, 8],
    ]);
  });

  test("the same secret in the same file has one fingerprint on any line", () => {
    const secret = `npm_${randomAlnum(36)}`;
    const findings = scanOne(`a=${secret}\nb=${secret}\n`);
    expect(findings).toHaveLength(2);
    expect(findings[0]!.fingerprint).toBe(findings[1]!.fingerprint);
    expect(findings[0]!.ignoreId).not.toBe(findings[1]!.ignoreId);
  });
});

describe("linear time", () => {
  // Inputs built to make backtracking patterns explode: each is about 1 MB and
  // scans in tens of milliseconds; a quadratic pattern takes seconds to minutes.
  const cases: Record<string, () => string> = {
    "assignments without values": () => "password=".repeat(120_000),
    "an endless value": () => "password = " + "a1".repeat(500_000),
    "token prefixes only": () => "ghp_".repeat(250_000),
    "a JWT header without parts": () => "eyJ" + "a".repeat(1_000_000),
    "many JWTs on one line": () => ("eyJ" + "abcdefghij".repeat(30) + ".").repeat(3_000),
    "PEM headers without END": () => `-----${"BEGIN"} PRIVATE KEY-----\n`.repeat(30_000),
    "a PEM body without END": () => `-----${"BEGIN"} PRIVATE KEY-----\n` + "QUJD\n".repeat(200_000),
    "AWS names without values": () => "aws_secret_secret_secret = ".repeat(40_000),
    "Slack-like dashes": () => "xoxb-" + "1-".repeat(400_000),
  };
  test("adversarial 1 MB inputs each scan within a second", () => {
    const scanner = createSecretScanner();
    for (const [name, make] of Object.entries(cases)) {
      const text = make();
      const t = performance.now();
      scanner.scanFile({ file: "x.txt", content: text });
      expect(performance.now() - t, name).toBeLessThan(1_000);
    }
  });
});

describe("entropy", () => {
  test("Shannon entropy in bits per character", () => {
    expect(measureEntropy("")).toBe(0);
    expect(measureEntropy("aaaa")).toBe(0);
    expect(measureEntropy("abab")).toBe(1);
    expect(measureEntropy("abcdefgh")).toBe(3);
    expect(measureEntropy("ééaa")).toBe(1);
  });
});
