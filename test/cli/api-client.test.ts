/** The API client's reader of server-sent event streams. */
import { describe, expect, it } from "vitest";
import { parseEventStream } from "../../src/cli/index.js";

async function* bytes(...parts: string[]) {
  for (const p of parts) yield new TextEncoder().encode(p);
}

describe("parseEventStream", () => {
  it("reads events split across chunks, skipping comments and retry lines", async () => {
    const events = [];
    for await (const e of parseEventStream(bytes("retry: 2000\n\n: keep-alive\n\nid: 5\nevent: log\nda", 'ta: {"step":1,"text":"a\\n"}\n\n', 'event: end\r\ndata: {"conclusion":"success"}\r\n\r\n'))) events.push(e);
    expect(events).toEqual([
      { event: "log", id: "5", data: '{"step":1,"text":"a\\n"}' },
      { event: "end", id: undefined, data: '{"conclusion":"success"}' },
    ]);
  });
});
