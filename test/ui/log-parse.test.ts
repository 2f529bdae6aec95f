import { describe, expect, it } from "vitest";
import { LogModel, groupLines, parseLine, searchLines } from "../../src/ui/core/log-parse.js";

describe("parseLine", () => {
  it("strips a raw log's timestamp and keeps ANSI codes", () => {
    const line = parseLine("2026-01-02T03:04:05.1234567Z \x1b[32mok\x1b[0m done");
    expect(line).toMatchObject({ kind: "plain", text: "\x1b[32mok\x1b[0m done", timestamp: "2026-01-02T03:04:05.1234567Z" });
  });

  it("reads workflow command annotations with file, line, column and title", () => {
    const line = parseLine("::error file=src/a%2Cb.ts,line=42,col=7,title=Bad::expected 3%0Agot 4");
    expect(line.kind).toBe("error");
    expect(line.annotation).toEqual({ level: "error", message: "expected 3\ngot 4", title: "Bad", file: "src/a,b.ts", line: 42, col: 7 });
    expect(line.text).toBe("src/a,b.ts:42:7: Bad: expected 3\ngot 4");
  });

  it("reads the runner's ##[...] markers", () => {
    expect(parseLine("##[group]Run npm test")).toMatchObject({ kind: "group", text: "Run npm test" });
    expect(parseLine("##[endgroup]")).toMatchObject({ kind: "endgroup" });
    expect(parseLine("##[warning]careful").annotation).toEqual({ level: "warning", message: "careful" });
  });
});

describe("LogModel", () => {
  it("gives lines without a time of their own the time of the chunk they began in", () => {
    const model = new LogModel();
    model.append(1, "one\ntw", "2026-01-02T03:04:05Z");
    model.append(1, "o\n2026-01-02T09:09:09Z three\nfour\n", "2026-01-02T03:04:06Z");
    model.append(2, "untimed\n");
    expect(model.lines.map((l) => [l.text, l.timestamp])).toEqual([
      ["one", "2026-01-02T03:04:05Z"],
      ["two", "2026-01-02T03:04:05Z"],
      ["three", "2026-01-02T09:09:09Z"],
      ["four", "2026-01-02T03:04:06Z"],
      ["untimed", undefined],
    ]);
  });

  it("assembles lines split across chunks and numbers them per job", () => {
    const model = new LogModel();
    model.append(1, "first\nsec");
    model.append(2, "other step\n");
    model.append(1, "ond\n::warning::w\nlast");
    expect(model.lines.map((l) => [l.n, l.step, l.text])).toEqual([
      [1, 1, "first"],
      [2, 2, "other step"],
      [3, 1, "second"],
      [4, 1, "w"],
    ]);
    model.finish();
    expect(model.lines.at(-1)).toMatchObject({ n: 5, step: 1, text: "last" });
    expect(model.annotations).toEqual([{ level: "warning", message: "w", title: undefined, file: undefined, line: undefined, col: undefined, logLine: 4, step: 1 }]);
  });
});

describe("groupLines and searchLines", () => {
  it("nests group bodies, leaves an unclosed group open to the end, and finds text ignoring colours", () => {
    const model = new LogModel();
    model.append(1, "a\n::group::Install\nb\n\x1b[31mneedle\x1b[0m\n::endgroup::\nc\n##[group]tail\nd\n");
    const nodes = groupLines(model.lines);
    expect(nodes.map((n) => (n.type === "line" ? n.line.text : `[${n.header.text}: ${n.lines.map((l) => l.n).join(",")}]`))).toEqual([
      "a",
      "[Install: 3,4]",
      "c",
      "[tail: 8]",
    ]);
    expect(searchLines(model.lines, "NEEDLE")).toEqual([4]);
    expect(searchLines(model.lines, "  ")).toEqual([]);
  });
});
