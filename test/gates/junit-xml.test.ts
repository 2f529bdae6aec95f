/**
 * The XML under the JUnit reader: the same report whatever the chunk
 * boundaries, and the same well-formedness errors as saxes (its message and
 * its line:column), on hand-picked documents and on mutations of valid
 * reports (a fixed seed, so a failure reproduces).
 */
import { describe, expect, test } from "vitest";
import { SaxesParser } from "saxes";
import { isSlipwayError } from "../../src/lib/index.js";
import { JUnitReader } from "../../src/gates/index.js";

/** The report, or the error message, of a document given in parts of the given sizes (cycled). */
function read(doc: string, sizes: number[] = [doc.length || 1]): string {
  try {
    const reader = new JUnitReader({ source: "r.xml", maxTextLength: 40 });
    for (let i = 0, k = 0; i < doc.length; k++) {
      const size = sizes[k % sizes.length]!;
      reader.write(doc.slice(i, i + size));
      i += size;
    }
    return JSON.stringify(reader.finish());
  } catch (error) {
    if (isSlipwayError(error)) return `${error.code} ${error.message}`;
    throw error;
  }
}

/** saxes' first error on the whole document, as the reader reports it. */
function saxesError(doc: string): string | undefined {
  const parser = new SaxesParser({ position: true });
  let first: string | undefined;
  parser.on("error", (error) => {
    first ??= `TEST_REPORT_INVALID r.xml:${parser.line}:${parser.column + 1}: ${error.message.replace(/^\d+:\d+: /, "")}`;
  });
  parser.write(doc).close();
  return first;
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const CONTROL_REFERENCE = /&#(?:x0*([0-8bcefBCEF]|1[0-9a-fA-F])|0*([0-8]|1[124-9]|2[0-9]|3[01]));/;

const FIXTURES = [
  `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="all">\n<testsuite name="s" tests="2">\n  <testcase name="a &amp; b" classname="c.D" time="0.5" file="x.ts" line="3"><failure message="m&lt;1&gt; &#x41;&#66; &#x0000000000043;" type="E">stack\r\nline2 caf&#xe9; &#233; &quot;&apos; &#00000000068;</failure><system-out><![CDATA[out ]] ] >\r\nmore\rend]]></system-out></testcase>\n  <testcase name='q' classname="c.D"><skipped/></testcase>\n  <!-- a comment - with -dashes -->\n  <?pi body ? still?>\n  <testcase name="f"><flakyFailure message="t"><stackTrace>x</stackTrace></flakyFailure><system-err>err\ttab</system-err></testcase>\n</testsuite>\n</testsuites>\n<!-- after -->\n<?after?>\n`,
  `<testsuite name="\u{1F600}x"><testcase name="\u00e9\u{1F601}" classname="k\u00b7\u0301"><error message="e\u{1F602}">a\u{1F602}b</error><system-out><![CDATA[\u{1F603}]]><![CDATA[]]]]><![CDATA[>]]></system-out></testcase></testsuite>`,
  `\uFEFF<!DOCTYPE testsuite [ <!ELEMENT testsuite ANY> <!-- <testsuite> --> ]>\r\n<testsuite>\r\n<testcase name="a\r\nb\tc\rd"\r\n time = '1.5' >\r\n<system-out>x\ry\r\n</system-out></testcase></testsuite>\r\n`,
  `<testsuites><testsuite name="o"><testsuite name="i"><testcase classname="k" name="n" time="1"/></testsuite></testsuite><testsuite name="p"><testcase name="m"><failure>${"long ".repeat(20)}</failure></testcase></testsuite></testsuites>`,
];

describe("chunk boundaries", () => {
  test("every fixture split at every position reads as in one part", () => {
    for (const doc of FIXTURES) {
      const whole = read(doc);
      expect(whole.startsWith("{")).toBe(true);
      for (let at = 1; at < doc.length; at++) expect(read(doc, [at, doc.length])).toBe(whole);
    }
  });

  test("random parts (fixed seed) read as in one part", () => {
    const next = random(7);
    for (const doc of FIXTURES) {
      const whole = read(doc);
      for (let round = 0; round < 200; round++) {
        const sizes = Array.from({ length: 4 }, () => 1 + Math.floor(next() * 12));
        expect(read(doc, sizes)).toBe(whole);
      }
    }
  });
});

const BROKEN = [
  "<testsuite><testcase></testsuite>",
  "<testsuite><testcase name='a' name='b'/></testsuite>",
  "<testsuite><testcase name='a' classname='x' name='b'/></testsuite>",
  '<testsuite><testcase name="a<b"/></testsuite>',
  "<testsuite><testcase name=a/></testsuite>",
  "<testsuite><testcase name/></testsuite>",
  "<testsuite><testcase name = /></testsuite>",
  '<testsuite><testcase name="a"classname="b"/></testsuite>',
  '<testsuite><testcase name="a" / ></testsuite>',
  "<testsuite><testcase 1a='x'/></testsuite>",
  "<testsuite><test%case/></testsuite>",
  "<testsuite>< testcase/></testsuite>",
  "<testsuite></ testsuite>",
  "<testsuite></testsuite x>",
  "<testsuite></>",
  "<testsuite>a &bogus; b</testsuite>",
  "<testsuite>a &; b</testsuite>",
  "<testsuite>a &a b; c</testsuite>",
  "<testsuite>a &#xD800; b</testsuite>",
  "<testsuite>a &#X41; b</testsuite>",
  "<testsuite>a &#1114112; b</testsuite>",
  "<testsuite name='&bogus;'/>",
  "<testsuite>a ]]> b</testsuite>",
  "<testsuite><!-- a -- b --></testsuite>",
  "<testsuite><!DOCTYPE x></testsuite>",
  "<testsuite><!ELEMENT x></testsuite>",
  "<testsuite><?xml version='1.0'?></testsuite>",
  "<testsuite><?XML x?></testsuite>",
  "<testsuite><? x?></testsuite>",
  "<testsuite><?a%b?></testsuite>",
  "<testsuite/><testsuite/>",
  "<testsuite/>\ntext after",
  "<testsuite/>\n&amp;",
  "<testsuite/><![CDATA[x]]>",
  "<testsuite/></testsuite>",
  "text before<testsuite/>",
  "<testsuite>\r\n<testcase>\r\n<failure>\r\n</testcase>",
  "<testsuite><testcase><system-out><![CDATA[one\ntwo\r\nthree \u{1F600}]]></system-out><bad></testcase></testsuite>",
  "<testsuite><testcase><system-out><![CDATA[cut short",
  "<testsuite><testcase><!-- cut short",
  "<testsuite><testcase name='cut short",
  "<testsuite><testcase>&amp cut short",
  "<testsuite>\n  <testcase name='\u{1F600}' \u{1F600}='x' b='1'c='2'/></testsuite>",
];

describe("long constructs", () => {
  test("a comment, an attribute, a processing instruction, a text and a reference of megabytes, in many parts, read as in one part and in linear time", () => {
    const big = "x".repeat(4 << 20);
    const docs = [
      `<testsuite><!--${big}--><testcase name="a"/></testsuite>`,
      `<testsuite name="${big}"><testcase name="a"/></testsuite>`,
      `<testsuite><?pi ${big}?><testcase name="a"/></testsuite>`,
      `<testsuite><testcase name="a"><failure>${big}</failure></testcase></testsuite>`,
      `<testsuite><testcase name="a"/></testsuite>${" ".repeat(4 << 20)}`,
      `<testsuite>&${big}</testsuite>`,
    ];
    const started = Date.now();
    for (const doc of docs) expect(read(doc, [65_536])).toBe(read(doc));
    // Reading each again from its start at every part would take minutes.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

describe("well-formedness errors", () => {
  test("refused as saxes refuses them: its message, at its line and column, whatever the chunk boundaries", () => {
    for (const doc of BROKEN) {
      const expected = saxesError(doc);
      expect(expected, doc).toBeDefined();
      expect(read(doc), doc).toBe(expected);
      for (let at = 1; at < doc.length; at++) expect(read(doc, [at, doc.length]), `${doc} split at ${at}`).toBe(expected);
    }
  });

  test("mutations of valid reports (fixed seed): refused exactly when saxes refuses them, with its message and position", () => {
    const next = random(11);
    const pieces = ["<", ">", "&", ";", '"', "'", "/", "=", "!", "[", "]", "-", "?", "\r", "\n", " ", "\t", "a", "1", ".", ":", "]]>", "<![CDATA[", "&#x41;", "&#xD800;", "&bogus;", "<!--", "-->", "<?", "?>", "</testcase>", "<x>", "</x>", "\u{1F600}", "\u00b7", "\u0300", "<!DOCTYPE", "&amp;", 'x="1"'];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      let doc = pick(FIXTURES);
      for (let m = Math.floor(next() * 3); m >= 0; m--) {
        const at = Math.floor(next() * (doc.length + 1));
        const op = next();
        if (op < 0.4) doc = doc.slice(0, at) + pick(pieces) + doc.slice(at);
        else if (op < 0.7) doc = doc.slice(0, at) + doc.slice(at + 1 + Math.floor(next() * 3));
        else doc = doc.slice(0, at) + pick(pieces) + doc.slice(at + 1);
      }
      const got = read(doc);
      const sizes = [1 + Math.floor(next() * 20), 1 + Math.floor(next() * 5)];
      expect(read(doc, sizes), `${JSON.stringify(doc)} in parts of ${sizes.join(", ")}`).toBe(got);
      // The reader's own refusals (a root that is not JUnit, no root at all) are not saxes'; what it replaces (a lone surrogate, a reference to a control character) saxes refuses or reads otherwise.
      if (/is not a JUnit report|the document is empty/.test(got) || LONE_SURROGATE.test(doc) || CONTROL_REFERENCE.test(doc)) continue;
      const expected = saxesError(doc);
      expect(got, JSON.stringify(doc)).toBe(expected ?? got);
      if (expected === undefined) expect(got.startsWith("{"), JSON.stringify(doc)).toBe(true);
      else refused++;
    }
    expect(refused).toBeGreaterThan(1000);
  });

  test("characters XML forbids are replaced wherever they are, as are references to them", () => {
    const doc = "<testsuite name='a\u0001b'><testcase name='\u0002&#x1b;' classname='\uFFFE'><failure message='\uD800x&#x000000000001;'>\u0000 &#27; \uDC00 &#0000000000031;</failure></testcase></testsuite>";
    const report = JSON.parse(read(doc)) as { cases: Array<Record<string, unknown>> };
    expect(report.cases[0]).toMatchObject({ suites: ["a\uFFFDb"], name: "\uFFFD\uFFFD", classname: "\uFFFD", message: "\uFFFDx\uFFFD", stack: "\uFFFD \uFFFD \uFFFD \uFFFD" });
    for (let at = 1; at < doc.length; at++) expect(read(doc, [at, doc.length])).toBe(read(doc));
  });

  test("a document declaring XML 1.1 is read by saxes to its end", () => {
    const doc = `<?xml version="1.1"?>\n<testsuite><testcase name="a\u0085b"><failure>x</failure></testcase></testsuite>`;
    expect(JSON.parse(read(doc)).cases[0]).toMatchObject({ name: "a b", status: "failed", stack: "x" });
    expect(read(`<?xml version="1.1"?>\n<testsuite><testcase></testsuite>`)).toBe(saxesError(`<?xml version="1.1"?>\n<testsuite><testcase></testsuite>`));
  });
});
