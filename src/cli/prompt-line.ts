/** Asks one question on the terminal (stderr) and resolves the line typed on stdin; rejects when `signal` aborts. */
import { createInterface } from "node:readline/promises";

export async function promptLine(question: string, signal: AbortSignal): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question, { signal });
  } finally {
    rl.close();
  }
}
