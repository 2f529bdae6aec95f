/**
 * `slipway flags get|set|edit|diff|kill|history|restore|changes|approve|reject|keys`: the feature
 * flags of a repository's deployment environment, as flagd documents.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { SlipwayError } from "../../lib/index.js";
import type { ApiClient } from "../api-client.js";
import type { ApiOutput } from "../render/index.js";
import { formatTable } from "../render/text.js";
import { act, withCommonFlags, type ApiCommandContext } from "./command.js";
import { enc, levelPath, parseId } from "./locate.js";
import { readPlainValue } from "./read-value.js";

type Json = Record<string, unknown>;

interface FlagsFlags {
  env: string;
  reason?: string;
}

function flagsPath(fullName: string, environment: string): string {
  return `${levelPath(fullName, environment)}/flags`;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function flagsOf(document: unknown): Json {
  return isObject(document) && isObject(document.flags) ? document.flags : {};
}

function query(reason: string | undefined): string {
  return reason === undefined ? "" : `?reason=${encodeURIComponent(reason)}`;
}

async function readDocument(file: string, readStdin: () => Promise<string>): Promise<Json> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new SlipwayError("CLI_USAGE", `cannot read ${file}: ${(error as Error).message}`, { hint: "Pass the path of a flagd JSON document, or - for stdin." });
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SlipwayError("CLI_USAGE", `${file} is not JSON: ${(error as Error).message}`, { hint: "A flag set is one JSON object with a `flags` map." });
  }
  if (!isObject(document)) throw new SlipwayError("CLI_USAGE", `${file} is not a JSON object`, { hint: "A flag set is one JSON object with a `flags` map." });
  return document;
}

interface PendingAnswer {
  pending_change?: { id: number; base_version: number };
}

/** The line telling that the environment held a change for review, or null when it was written. */
function heldFor(answer: unknown, fullName: string, environment: string): string | null {
  const pending = isObject(answer) ? (answer as PendingAnswer).pending_change : undefined;
  if (!pending) return null;
  return `The environment ${environment} of ${fullName} requires review: the change is held as pending change ${pending.id} (against version ${pending.base_version}). Reviewers approve it with \`slipway flags approve ${fullName} ${pending.id} --env ${environment}\`.\n`;
}

interface ChangeJson {
  id: number;
  state: string;
  author: string;
  reason: string | null;
  base_version: number;
  outdated: boolean;
  required_approvals: number;
  reviews: Array<{ user: string; state: string; bypass: boolean }>;
  diff: { flags: Record<string, { before: unknown; after: unknown }>; set_fields_changed: boolean };
}

function renderChange(c: ChangeJson): string {
  const approvals = c.reviews.filter((r) => r.state === "approved").length;
  const head = `#${c.id} by ${c.author}, ${c.state}${c.outdated ? " (outdated: the set changed since version " + c.base_version + ")" : ""}, ${approvals}/${c.required_approvals} approvals${c.reason ? ` — ${c.reason}` : ""}`;
  const lines = Object.entries(c.diff.flags).map(([key, d]) => (d.before === null ? `  + ${key}` : d.after === null ? `  - ${key}` : `  ~ ${key}: ${JSON.stringify(d.before)} -> ${JSON.stringify(d.after)}`));
  if (c.diff.set_fields_changed) lines.push("  ~ the set's other fields ($evaluators, metadata)");
  return [head, ...lines].join("\n") + "\n";
}

function variantsOf(flag: unknown): string {
  return isObject(flag) && isObject(flag.variants) ? Object.keys(flag.variants).join(", ") : "";
}

function flagTable(document: unknown): string {
  const flags = Object.entries(flagsOf(document));
  if (flags.length === 0) return "No flags.\n";
  return formatTable([
    ["KEY", "STATE", "DEFAULT", "VARIANTS", "TARGETING"],
    ...flags.map(([key, flag]) => {
      const f = isObject(flag) ? flag : {};
      return [key, String(f.state ?? ""), f.defaultVariant === undefined || f.defaultVariant === null ? "(code default)" : String(f.defaultVariant), variantsOf(f), isObject(f.targeting) && Object.keys(f.targeting).length > 0 ? "yes" : "no"];
    }),
  ]);
}

/** Which flags a new document adds, removes or changes, and which of their fields change. */
function diffDocuments(current: unknown, next: unknown): { added: string[]; removed: string[]; changed: Array<{ key: string; fields: string[] }> } {
  const a = flagsOf(current);
  const b = flagsOf(next);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  const changed: Array<{ key: string; fields: string[] }> = [];
  for (const key of Object.keys(b)) {
    if (!(key in a) || same(a[key], b[key])) continue;
    const fa = isObject(a[key]) ? (a[key] as Json) : {};
    const fb = isObject(b[key]) ? (b[key] as Json) : {};
    const fields = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((f) => !same(fa[f], fb[f])).sort();
    changed.push({ key, fields });
  }
  return { added: Object.keys(b).filter((k) => !(k in a)), removed: Object.keys(a).filter((k) => !(k in b)), changed };
}

function renderDiff(diff: ReturnType<typeof diffDocuments>, setChanged: boolean): string {
  const lines = [...diff.added.map((k) => `+ ${k}`), ...diff.removed.map((k) => `- ${k}`), ...diff.changed.map((c) => `~ ${c.key} (${c.fields.join(", ")})`)];
  if (lines.length === 0) return setChanged ? "The flags are the same; the set's other fields ($evaluators, metadata) differ.\n" : "No differences.\n";
  return lines.join("\n") + "\n";
}

export function registerFlagCommands(program: Command, ctx: ApiCommandContext): void {
  const readStdin = ctx.readValue ?? (() => readPlainValue());
  const flags = program.command("flags").description("Manage the feature flags of a deployment environment (flagd documents)");
  const sub = (name: string, description: string) =>
    withCommonFlags(flags.command(name).description(description))
      .argument("<owner/name>", "repository")
      .requiredOption("--env <environment>", "the deployment environment whose flags to use");
  const output = (text: string, document: unknown): ApiOutput => ({ kind: "rendered", text, document });

  sub("get", "Show the flag set, or one flag with KEY")
    .argument("[key]", "one flag's key")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, key: string | undefined, f: FlagsFlags) => {
        if (key !== undefined) {
          const flag = await client.request<Json>("GET", `${flagsPath(fullName, f.env)}/${enc(key)}`);
          return output(JSON.stringify(flag, null, 2) + "\n", flag);
        }
        const document = await client.request<Json>("GET", flagsPath(fullName, f.env));
        return output(flagTable(document), document);
      }),
    );

  sub("set", "Replace the flag set with a flagd JSON document (FILE, or - for stdin)")
    .argument("<file>", "flagd JSON document")
    .option("--reason <text>", "why, kept with the new version")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, file: string, f: FlagsFlags) => {
        const document = await readDocument(file, readStdin);
        const answer = await client.request("PUT", `${flagsPath(fullName, f.env)}${query(f.reason)}`, document);
        const held = heldFor(answer, fullName, f.env);
        if (held) return output(held, answer);
        return output(`Flags of ${fullName} (environment ${f.env}) are set: ${Object.keys(flagsOf(document)).length} flags.\n`, { repository: fullName, environment: f.env, flags: Object.keys(flagsOf(document)).length });
      }),
    );

  sub("edit", "Change one flag's state or default variant")
    .argument("<key>", "the flag's key")
    .option("--state <state>", "ENABLED or DISABLED")
    .option("--default-variant <variant>", "the variant served without a targeting match")
    .option("--reason <text>", "why, kept with the new version")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, key: string, f: FlagsFlags & { state?: string; defaultVariant?: string }) => {
        const patch: Json = {};
        if (f.state !== undefined) patch.state = f.state.toUpperCase();
        if (f.defaultVariant !== undefined) patch.defaultVariant = f.defaultVariant;
        if (Object.keys(patch).length === 0) throw new SlipwayError("CLI_USAGE", "nothing to change", { hint: "Pass --state ENABLED|DISABLED and/or --default-variant VARIANT." });
        const flag = await client.request<Json>("PATCH", `${flagsPath(fullName, f.env)}/${enc(key)}${query(f.reason)}`, patch);
        const held = heldFor(flag, fullName, f.env);
        if (held) return output(held, flag);
        return output(`Flag ${key} of ${fullName} (environment ${f.env}): state ${String(flag.state)}, default variant ${String(flag.defaultVariant ?? "(code default)")}.\n`, flag);
      }),
    );

  sub("diff", "Show which flags a document (FILE, or - for stdin) would add, remove or change")
    .argument("<file>", "flagd JSON document")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, file: string, f: FlagsFlags) => {
        const next = await readDocument(file, readStdin);
        const current = await client.request<Json>("GET", flagsPath(fullName, f.env));
        const diff = diffDocuments(current, next);
        return output(renderDiff(diff, JSON.stringify(current) !== JSON.stringify(next)), diff);
      }),
    );

  sub("kill", "Disable a flag at once: every caller gets its code default")
    .argument("<key>", "the flag's key")
    .option("--reason <text>", "why, kept with the new version")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, key: string, f: FlagsFlags) => {
        const answer = await client.request<{ version: number }>("POST", `${flagsPath(fullName, f.env)}/${enc(key)}/kill${query(f.reason)}`, {});
        return output(`Flag ${key} of ${fullName} (environment ${f.env}) is DISABLED (version ${answer.version}).\n`, answer);
      }),
    );

  sub("history", "List the flag set's versions, newest first").action(
    act(ctx, async (client: ApiClient, fullName: string, f: FlagsFlags) => {
      const answer = await client.request<{ versions: Array<{ version: number; actor: string | null; reason: string | null; created_at: string }> }>("GET", `${flagsPath(fullName, f.env)}/versions?per_page=100`);
      const text = answer.versions.length === 0 ? "No versions yet.\n" : formatTable([["VERSION", "BY", "AT", "REASON"], ...answer.versions.map((v) => [String(v.version), v.actor ?? "", v.created_at, v.reason ?? ""])]);
      return output(text, answer.versions);
    }),
  );

  sub("restore", "Write an earlier version as the new current one")
    .argument("<version>", "the version number (see `slipway flags history`)")
    .option("--reason <text>", "why, kept with the new version")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, version: string, f: FlagsFlags) => {
        const n = parseId(version, "version");
        const answer = await client.request("POST", `${flagsPath(fullName, f.env)}/versions/${n}/restore${query(f.reason)}`, {});
        const held = heldFor(answer, fullName, f.env);
        if (held) return output(held, answer);
        return output(`Version ${n} of the flags of ${fullName} (environment ${f.env}) is restored.\n`, { repository: fullName, environment: f.env, restored: n });
      }),
    );

  sub("changes", "List the changes waiting for review, each with its diff against the current version")
    .option("--state <state>", "pending (default), applied, rejected, outdated or all")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, f: FlagsFlags & { state?: string }) => {
        const answer = await client.request<{ changes: ChangeJson[] }>("GET", `${flagsPath(fullName, f.env)}/changes${f.state ? `?state=${encodeURIComponent(f.state)}` : ""}`);
        const text = answer.changes.length === 0 ? "No changes.\n" : answer.changes.map(renderChange).join("\n");
        return output(text, answer.changes);
      }),
    );

  for (const [name, state, description] of [
    ["approve", "approved", "Approve a pending change (applied once the environment's required approvals are reached)"],
    ["reject", "rejected", "Reject a pending change (it is closed)"],
  ] as const) {
    sub(name, description)
      .argument("<id>", "the change's id (see `slipway flags changes`)")
      .option("--comment <text>", "kept with the review")
      .action(
        act(ctx, async (client: ApiClient, fullName: string, id: string, f: FlagsFlags & { comment?: string }) => {
          const n = parseId(id, "flag change");
          const change = await client.request<ChangeJson & { applied_version: number | null }>("POST", `${flagsPath(fullName, f.env)}/changes/${n}/reviews`, { state, comment: f.comment ?? "" });
          const what = change.state === "applied" ? `is applied as version ${String(change.applied_version)}` : change.state === "rejected" ? "is rejected" : `waits for more approvals (${change.reviews.filter((r) => r.state === "approved").length}/${change.required_approvals})`;
          return output(`Change ${n} of the flags of ${fullName} (environment ${f.env}) ${what}.\n`, change);
        }),
      );
  }

  const keys = flags.command("keys").description("Client keys: evaluation-only credentials of an environment");
  const keySub = (name: string, description: string) =>
    withCommonFlags(keys.command(name).description(description))
      .argument("<owner/name>", "repository")
      .requiredOption("--env <environment>", "the deployment environment");
  keySub("create", "Create a client key (shown once)")
    .argument("<name>", "what the key is for")
    .option("--public", "for browsers: evaluation through OFREP only, answered cross-origin")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, name: string, f: FlagsFlags & { public?: boolean }) => {
        const answer = await client.request<{ id: number; key: string; public: boolean }>("POST", `${levelPath(fullName, f.env)}/flag-keys`, { name, public: Boolean(f.public) });
        return output(`Client key ${answer.id} (${answer.public ? "public" : "server"}) for ${fullName} (environment ${f.env}), shown only now:\n\n  ${answer.key}\n`, answer);
      }),
    );
  keySub("list", "List client keys (never the keys themselves)").action(
    act(ctx, async (client: ApiClient, fullName: string, f: FlagsFlags) => {
      const answer = await client.request<{ keys: Array<{ id: number; name: string; public: boolean; created_at: string; last_used_at: string | null }> }>("GET", `${levelPath(fullName, f.env)}/flag-keys`);
      const text = answer.keys.length === 0 ? "No client keys.\n" : formatTable([["ID", "NAME", "KIND", "CREATED", "LAST USED"], ...answer.keys.map((k) => [String(k.id), k.name, k.public ? "public" : "server", k.created_at, k.last_used_at ?? "never"])]);
      return output(text, answer.keys);
    }),
  );
  keySub("delete", "Revoke a client key")
    .argument("<id>", "the key's id (see `slipway flags keys list`)")
    .action(
      act(ctx, async (client: ApiClient, fullName: string, id: string, f: FlagsFlags) => {
        const n = parseId(id, "client key");
        await client.request("DELETE", `${levelPath(fullName, f.env)}/flag-keys/${n}`);
        return output(`Client key ${n} is revoked.\n`, { id: n, deleted: true });
      }),
    );
}
