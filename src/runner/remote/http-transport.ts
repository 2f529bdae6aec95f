/**
 * How a runner's protocol calls reach the server: node:http(s) with one
 * keep-alive agent per scheme. Node's fetch costs about four times the CPU
 * of a plain request for the small JSON bodies of the protocol (it builds
 * WHATWG streams for every body), and a runner sends several per job. Idle
 * connections are closed a second before the server's announced keep-alive
 * timeout (node's agent reads the `Keep-Alive` answer header), and never
 * keep the process alive.
 *
 * Answers the part of fetch's Response the protocol client reads, so a test
 * can hand the client fetch itself, or a fake of it, instead.
 */
import http from "node:http";
import https from "node:https";

interface TransportInit {
  method: string;
  headers: Record<string, string>;
  /** A large body is best given encoded: it is then neither measured nor encoded again. */
  body?: string | Uint8Array;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  ok: boolean;
  text(): Promise<string>;
}

export type Transport = (url: string, init: TransportInit) => Promise<TransportResponse>;

export function createHttpTransport(): Transport {
  const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };
  return (url, init) =>
    new Promise<TransportResponse>((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "http:" && target.protocol !== "https:") {
        reject(new Error(`unsupported URL scheme ${target.protocol} (http: or https: expected)`));
        return;
      }
      const headers = { ...init.headers };
      if (init.body !== undefined) headers["content-length"] = String(Buffer.byteLength(init.body));
      const request = (target.protocol === "https:" ? https : http).request(
        target,
        { method: init.method, headers, agent: agents[target.protocol], signal: init.signal },
        (response) => {
          const parts: Buffer[] = [];
          response.on("data", (part: Buffer) => parts.push(part));
          response.on("error", reject);
          response.on("close", () => {
            if (!response.complete) reject(new Error("the connection closed before the whole answer arrived"));
          });
          response.on("end", () => {
            const status = response.statusCode ?? 0;
            const text = Buffer.concat(parts).toString("utf8");
            resolve({ status, ok: status >= 200 && status < 300, text: () => Promise.resolve(text) });
          });
        },
      );
      request.on("error", reject);
      request.end(init.body);
    });
}
