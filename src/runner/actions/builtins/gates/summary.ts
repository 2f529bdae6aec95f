/** Markdown for the gates' job summaries. */

/** Text safe in a Markdown table cell: pipes and backticks escaped, one line. */
export function markdownCell(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/([|`\\])/g, "\\$1");
}
