/**
 * A minimal command line for the migration linter, bundled as
 * dist/gates-lint.js: `gates-lint [--pg-version N] [--assume-in-transaction]
 * [--exclude r1,r2] [--include r1,r2] [--json] FILE|GLOB…`.
 * Prints one `file:line:col: rule: message` line per finding (or one JSON
 * document with --json). Exit code 0 when clean, 1 with findings, 2 when the
 * command line or a file is unusable.
 */
import v8 from "node:v8";
import { isSlipwayError } from "../lib/index.js";
// The linter alone, not the gate's database parts: this entry is bundled on its own and starts fast.
import { lintMigrationFiles } from "./migrations/files.js";
import type { MigrationLintConfig } from "./migrations/types.js";

function parseArgs(argv: string[]): { patterns: string[]; config: MigrationLintConfig; json: boolean } {
  const config: MigrationLintConfig = {};
  const patterns: string[] = [];
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--pg-version") config.pgVersion = Number(value());
    else if (a === "--assume-in-transaction") config.assumeInTransaction = true;
    else if (a === "--exclude") config.excludedRules = value().split(",");
    else if (a === "--include") config.includedRules = value().split(",");
    else if (a === "--json") json = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else patterns.push(a);
  }
  if (patterns.length === 0) throw new Error("give at least one migration file or glob");
  return { patterns, config, json };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`gates-lint: ${(error as Error).message}\nusage: gates-lint [--pg-version N] [--assume-in-transaction] [--exclude r,…] [--include r,…] [--json] FILE|GLOB…\n`);
    return 2;
  }
  try {
    const { files, findings } = await lintMigrationFiles(args.patterns, { config: args.config });
    if (args.json) process.stdout.write(JSON.stringify({ files, findings }) + "\n");
    else {
      const lines = findings.map((f) => `${f.file}:${f.line}:${f.col}: ${f.rule}: ${f.message}\n  help: ${f.help}\n`);
      process.stdout.write(lines.join(""));
    }
    return findings.length > 0 ? 1 : 0;
  } catch (error) {
    if (!isSlipwayError(error)) throw error;
    process.stderr.write(`gates-lint: ${error.message}\n  hint: ${error.hint}\n`);
    return 2;
  }
}

// A one-shot process parses once: V8's baseline WASM compiler (Liftoff) is
// enough, and optimising the 1.7 MB parser in the background would cost more
// CPU than the parse itself. The parser is compiled later, at its first load.
v8.setFlagsFromString("--liftoff-only");
process.exitCode = await main();
