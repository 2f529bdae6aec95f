/**
 * A client of HAProxy's Runtime API (the `stats socket`): one connection per
 * request in non-interactive mode — the commands (joined by `;`) and a newline
 * go out, HAProxy answers and closes the connection. A connection that fails,
 * times out or closes before HAProxy answered is an error, so a weight change
 * is never assumed. Weights are read back with `get weight` to verify them.
 */
import { createConnection, type Socket } from "node:net";
import { SlipwayError } from "../lib/index.js";

export interface HaproxyRuntimeOptions {
  /** A UNIX socket path, or host:port. */
  address: string;
  timeoutMs?: number;
}

function connect(address: string): Socket {
  const m = /^([^:/\s]+):(\d+)$/.exec(address);
  return m ? createConnection({ host: m[1]!, port: Number(m[2]) }) : createConnection({ path: address });
}

function runtimeError(address: string, what: string): SlipwayError {
  return new SlipwayError("TRAFFIC_TARGET_FAILED", `HAProxy Runtime API at ${address}: ${what}`, {
    hint: "Check that HAProxy runs with `stats socket <path> level admin` (or a TCP `stats socket ipv4@host:port`) and that the path or address is right.",
  });
}

/**
 * Sends commands (joined by `;`) in one request and resolves with HAProxy's
 * whole answer. Every answer ends with a newline, so an empty or cut answer
 * means the connection closed mid-command: TRAFFIC_TARGET_FAILED, as are a
 * refused connection and a timeout.
 */
function sendRuntimeCommands(options: HaproxyRuntimeOptions, commands: readonly string[]): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  return new Promise((resolve, reject) => {
    const socket = connect(options.address);
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: SlipwayError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) return reject(error);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const timer = setTimeout(() => finish(runtimeError(options.address, `no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on("connect", () => socket.write(`${commands.join("; ")}\n`));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: Error) => finish(runtimeError(options.address, error.message)));
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (!text.endsWith("\n")) finish(runtimeError(options.address, "the connection closed before HAProxy answered"));
      else finish();
    });
  });
}

const WEIGHT_LINE = /^(\d+) \(initial \d+\)$/gm;

/** The current weight of `backend/server` (`get weight`). */
export async function getServerWeight(options: HaproxyRuntimeOptions, backend: string, server: string): Promise<number> {
  const answer = await sendRuntimeCommands(options, [`get weight ${backend}/${server}`]);
  const m = [...answer.matchAll(WEIGHT_LINE)][0];
  if (!m) throw runtimeError(options.address, `get weight ${backend}/${server} answered "${answer.trim().slice(0, 200)}"`);
  return Number(m[1]);
}

/**
 * Sets weights of several servers of one backend in one request, then reads
 * them back; rejects when HAProxy refused a command or a weight read back
 * differs.
 */
export async function setServerWeights(options: HaproxyRuntimeOptions, backend: string, weights: Readonly<Record<string, number>>): Promise<void> {
  const entries = Object.entries(weights);
  const answer = await sendRuntimeCommands(
    options,
    entries.map(([server, weight]) => `set server ${backend}/${server} weight ${weight}`),
  );
  // A successful `set server ... weight` answers nothing but its newline.
  if (answer.trim() !== "") throw runtimeError(options.address, `setting weights of backend ${backend} answered "${answer.trim().slice(0, 200)}"`);
  const read = await sendRuntimeCommands(
    options,
    entries.map(([server]) => `get weight ${backend}/${server}`),
  );
  const values = [...read.matchAll(WEIGHT_LINE)].map((m) => Number(m[1]));
  entries.forEach(([server, weight], i) => {
    if (values[i] !== weight) throw runtimeError(options.address, `${backend}/${server} reads back weight ${values[i] ?? "(none)"} after setting ${weight}`);
  });
}
