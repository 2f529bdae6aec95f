/**
 * Renders docs/errors.md from the error catalogue: every code with its HTTP
 * status, meaning and hint. scripts/docs-errors.mjs writes it; a test checks
 * that the committed file is what this renders.
 */
import { ERROR_CODES } from "../src/lib/index.js";

export const ERROR_REFERENCE_PATH = "docs/errors.md";

/** Makes catalogue text safe in a Markdown table cell. */
function escapeCell(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderErrorReference(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, entry]) => `| \`${code}\` | ${entry.status} | ${escapeCell(entry.meaning)} | ${escapeCell(entry.hint)} |`);
  return [
    "# Error codes",
    "",
    "<!-- Generated from src/lib/errors.ts by `npm run docs:errors`; edit the catalogue, not this file. -->",
    "",
    "Every failure Slipway reports to a person carries a stable code and a hint.",
    "The CLI prints them as `error[CODE]: message` followed by `hint: ...`; the server",
    "answers with the HTTP status below and a JSON body in GitHub's shape plus Slipway's",
    "`code` and `hint`:",
    "",
    "```json",
    '{ "message": "Workflow run 42 not found", "documentation_url": "...", "code": "RUN_NOT_FOUND", "hint": "..." }',
    "```",
    "",
    "Codes that only the CLI or a runner raise are listed with the status a server would use for them.",
    "",
    "| Code | HTTP status | Meaning | Hint |",
    "|------|-------------|---------|------|",
    ...rows,
    "",
  ].join("\n");
}
