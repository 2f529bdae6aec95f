/**
 * Slipway's default secret rules and global allow-list, written from each
 * provider's documented token format. Every pattern is linear-time: bounded
 * repetitions, no nested quantifiers that can backtrack into each other.
 */
import type { SecretAllowlist, SecretRule } from "./types.js";

function allowlist(partial: Partial<SecretAllowlist>): SecretAllowlist {
  return { condition: "OR", commits: [], paths: [], regexes: [], regexTarget: "secret", stopwords: [], ...partial };
}

function rule(r: Omit<SecretRule, "allowlists" | "tags"> & Partial<Pick<SecretRule, "allowlists" | "tags">>): SecretRule {
  return { allowlists: [], tags: [], ...r };
}

/** Values that stand in for a secret in templates, docs and examples. */
const PLACEHOLDER_PATTERNS: RegExp[] = [
  /\$\{[^}]*\}|\{\{[^}]*\}\}|\$\([^)]*\)/, // ${VAR}, {{ var }}, $(cmd)
  /^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_][A-Za-z0-9_]*%$/, // $VAR, %VAR%
  /<[^<>\n]{1,80}>/, // <your-token>
  /[xX]{4}|\*{4}|\.{3}|…/, // xxxx, ****, ...
  /(.)\1{9}/, // ten times the same character
  /EXAMPLE/,
  /^(?:true|false|null|nil|none|undefined|empty)$/i,
];

/** Applies to every rule: lockfiles, vendored code, binaries and media, placeholders. */
export const DEFAULT_GLOBAL_ALLOWLISTS: SecretAllowlist[] = [
  allowlist({
    description: "lockfiles, vendored dependencies, binaries and media",
    paths: [
      /(?:^|\/)(?:package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.lock|go\.sum|poetry\.lock|Pipfile\.lock|Gemfile\.lock|composer\.lock|gradle\.lockfile|packages\.lock\.json|flake\.lock|uv\.lock)$/,
      /(?:^|\/)(?:node_modules|vendor|third_party|\.git|bower_components|\.yarn\/releases)\//,
      /\.(?:png|jpe?g|gif|bmp|ico|icns|webp|tiff?|psd|svgz|pdf|zip|gz|tgz|bz2|xz|7z|rar|jar|war|class|so|dylib|dll|exe|o|a|lib|bin|wasm|pyc|woff2?|ttf|otf|eot|mp3|mp4|m4a|mov|avi|webm|ogg|wav|flac)$/i,
    ],
  }),
  allowlist({ description: "placeholders, template variables and example values", regexes: PLACEHOLDER_PATTERNS }),
];

const ALNUM = "A-Za-z0-9";

/** The default rules, one per provider token format, and one generic assignment rule. */
export const DEFAULT_RULES: SecretRule[] = [
  rule({
    id: "aws-access-key-id",
    description: "AWS access key id (AKIA/ASIA/ABIA/ACCA and 16 base32 characters)",
    regex: /\b((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b/,
    keywords: ["akia", "asia", "abia", "acca"],
    entropy: 3,
    tags: ["aws", "key-id"],
  }),
  rule({
    id: "aws-secret-access-key",
    description: "AWS secret access key (40 base64 characters) assigned to an aws…secret name",
    regex: /aws[\w.-]{0,20}?(?:secret|sk)[\w.-]{0,20}["']?[ \t]{0,5}(?::=|=>|=|:)[ \t]{0,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/i,
    keywords: ["aws"],
    entropy: 4,
    tags: ["aws", "secret-key"],
  }),
  rule({
    id: "github-token",
    description: "GitHub token: personal (ghp_), OAuth (gho_), user-to-server (ghu_), server-to-server (ghs_) or refresh (ghr_)",
    regex: new RegExp(`\\b(gh[pousr]_[${ALNUM}]{36})\\b`),
    keywords: ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
    entropy: 3,
    tags: ["github"],
  }),
  rule({
    id: "github-fine-grained-token",
    description: "GitHub fine-grained personal access token (github_pat_)",
    regex: /\b(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b/,
    keywords: ["github_pat_"],
    entropy: 3,
    tags: ["github"],
  }),
  rule({
    id: "gitlab-token",
    description: "GitLab personal access token (glpat-), including routable tokens",
    regex: /\b(glpat-[A-Za-z0-9_-]{20,320}(?:\.[A-Za-z0-9_-]{1,32}){0,3})(?![A-Za-z0-9_.-])/,
    keywords: ["glpat-"],
    entropy: 3,
    tags: ["gitlab"],
  }),
  rule({
    id: "slack-token",
    description: "Slack token: bot (xoxb-), user (xoxp-), app (xoxa-), refresh (xoxr-) and others",
    regex: /\b(xox[abposr]-(?:[0-9]{1,20}-){1,3}[A-Za-z0-9]{16,64})\b/,
    keywords: ["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"],
    entropy: 3,
    tags: ["slack"],
  }),
  rule({
    id: "slack-webhook-url",
    description: "Slack incoming webhook URL (hooks.slack.com/services/T…/B…/…)",
    regex: /hooks\.slack\.com\/(?:services|workflows|triggers)\/(T[A-Z0-9]{6,14}\/[AB][A-Z0-9]{6,14}\/[A-Za-z0-9]{20,40})\b/,
    keywords: ["hooks.slack.com"],
    entropy: 3,
    tags: ["slack", "webhook"],
  }),
  rule({
    id: "stripe-live-key",
    description: "Stripe live secret key (sk_live_) or restricted key (rk_live_)",
    regex: /\b((?:sk|rk)_live_[A-Za-z0-9]{20,247})\b/,
    keywords: ["sk_live_", "rk_live_"],
    entropy: 3,
    tags: ["stripe"],
  }),
  rule({
    id: "npm-token",
    description: "npm access token (npm_ and 36 alphanumerics)",
    regex: /\b(npm_[A-Za-z0-9]{36})\b/,
    keywords: ["npm_"],
    entropy: 3,
    tags: ["npm"],
  }),
  rule({
    id: "pypi-token",
    description: "PyPI API token (a pypi- macaroon issued by pypi.org)",
    regex: /\b(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,1000})(?![A-Za-z0-9_-])/,
    keywords: ["pypi-ageichlwas5vcmc"],
    entropy: 3,
    tags: ["pypi"],
  }),
  rule({
    id: "google-api-key",
    description: "Google API key (AIza and 35 characters)",
    regex: /\b(AIza[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])/,
    keywords: ["aiza"],
    entropy: 3,
    tags: ["google"],
  }),
  rule({
    id: "azure-storage-account-key",
    description: "Azure storage account key in a connection string (AccountKey=…, 88 base64 characters)",
    regex: /AccountKey=([A-Za-z0-9+/]{86}==)/i,
    keywords: ["accountkey"],
    entropy: 4,
    tags: ["azure"],
  }),
  rule({
    id: "azure-shared-access-key",
    description: "Azure Service Bus / Event Hubs / IoT shared access key in a connection string (SharedAccessKey=…)",
    regex: /SharedAccessKey=([A-Za-z0-9+/]{43}=)/i,
    keywords: ["sharedaccesskey"],
    entropy: 4,
    tags: ["azure"],
  }),
  rule({
    id: "private-key",
    description: "Private key in PEM or OpenSSH form (-----BEGIN … PRIVATE KEY----- block)",
    // The body cannot hold "-----", so a header without its END fails at the next marker.
    regex: /-----BEGIN[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=\s:,]|-(?!----)){64,16384}?-----END[ A-Z0-9]{0,30}PRIVATE KEY(?: BLOCK)?-----/,
    secretGroup: 0,
    keywords: ["private key"],
    entropy: 4,
    multiline: true,
    tags: ["private-key"],
  }),
  rule({
    id: "jwt",
    description: "JSON Web Token (three base64url parts, header and payload starting eyJ)",
    regex: /\b(eyJ[A-Za-z0-9_-]{10,4000}\.eyJ[A-Za-z0-9_-]{10,8000}\.[A-Za-z0-9_-]{10,1000})(?![A-Za-z0-9_-])/,
    keywords: ["eyj"],
    entropy: 3,
    tags: ["jwt"],
  }),
  rule({
    id: "generic-secret",
    description: "A value of 8+ characters with high entropy assigned to a name like password, secret, token or api_key",
    regex:
      /(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|credentials?)[\w.-]{0,25}?["']?[ \t]{0,5}(?::=|=>|=|:)[ \t]{0,5}(["'`]?)([^\s"'`;,(){}<>[\]\\]{8,200})\1(?=[\s;,)}\]/>&]|$)/i,
    secretGroup: 2,
    keywords: ["password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "access_key", "accesskey", "access-key", "auth_key", "authkey", "credential"],
    entropy: 3.5,
    tags: ["generic"],
    allowlists: [
      allowlist({
        description: "code references rather than values: dotted names, environment lookups, upper-case constant names",
        regexes: [
          /^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/, // config.services.apiKey
          /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/, // DB_PASSWORD
          /^[A-Za-z][a-z]+(?:[A-Z][a-z]+)+$/, // RootManageSharedAccessKey, readToken
          /^(?:env|process|os|secrets|vars|config|settings)[.:]/i,
        ],
      }),
      allowlist({
        description: "placeholder words",
        stopwords: ["example", "sample", "placeholder", "changeme", "change_me", "dummy", "your", "redacted", "fake", "mock", "todo", "insert", "replace", "secret", "password", "token", "xxx"],
      }),
    ],
  }),
];
