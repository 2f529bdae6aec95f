// Unit tests of src/lib/masking.ts (the runner's masker), kept with the runner's tests.
import { afterEach, describe, expect, it } from "vitest";
import { createMasker, listBase64Forms } from "../../src/lib/index.js";
import { createHarness, request, run, type Harness } from "./helpers.js";

describe("createMasker", () => {
  it("masks every occurrence, longest first, merging overlaps", () => {
    const m = createMasker(["abc", "abcdef", "efgh"]);
    expect(m.mask("x abcdef y abc z")).toBe("x *** y *** z");
    expect(m.mask("abcdefgh")).toBe("***");
    expect(m.mask("nothing here")).toBe("nothing here");
  });

  it("ignores empty and whitespace-only values but masks short ones", () => {
    const m = createMasker(["", "  ", "\n", "x"]);
    expect(m.size).toBe(1);
    expect(m.mask("a x b")).toBe("a *** b");
  });

  it("registers multi-line values line by line", () => {
    const m = createMasker(["line-one\r\nline-two\n\nline-three"]);
    expect(m.mask("line-one")).toBe("***");
    expect(m.mask("say line-three")).toBe("say ***");
    expect(m.mask("line-one\r\nline-two\n\nline-three")).toBe("***");
  });

  it("masks values added later", () => {
    const m = createMasker();
    expect(m.mask("token-123")).toBe("token-123");
    m.add("token-123");
    expect(m.mask("token-123!")).toBe("***!");
  });

  it("streams: a value split across chunks is masked and never emitted in part", () => {
    const m = createMasker(["supersecret"]);
    const stream = m.createStream();
    const emitted: string[] = [];
    for (const chunk of ["hello super", "sec", "ret world, super", "secret", " end"]) emitted.push(stream.write(chunk));
    emitted.push(stream.end());
    expect(emitted.join("")).toBe("hello *** world, *** end");
    for (const piece of emitted) expect(piece).not.toMatch(/super|secret/);
    expect(Math.max(...emitted.map((e) => e.length))).toBeGreaterThan(0);
  });

  it("streams: holds back only a tail that could begin a value", () => {
    const m = createMasker(["abcd"]);
    const stream = m.createStream();
    expect(stream.write("0123456789")).toBe("0123456789");
    expect(stream.write("xa")).toBe("x");
    expect(stream.write("b")).toBe("");
    expect(stream.write("cd!a")).toBe("***!");
    expect(stream.end()).toBe("a");
  });

  it("streams without secrets pass text through", () => {
    const stream = createMasker().createStream();
    expect(stream.write("abc")).toBe("abc");
    expect(stream.end()).toBe("");
  });

  it("masks a value's URL-encoded, form-encoded and JSON-escaped forms", () => {
    const secret = 'p@ss word/"quoted"\\&more';
    const m = createMasker([secret]);
    expect(m.mask(`url=${encodeURIComponent(secret)}.`)).toBe("url=***.");
    expect(m.mask(`form=${new URLSearchParams({ s: secret }).toString().slice(2)}.`)).toBe("form=***.");
    expect(m.mask(`json=${JSON.stringify({ s: secret })}`)).toBe('json={"s":"***"}');
  });

  it("masks base64 of a value at any alignment, with or without padding, in both alphabets", () => {
    const secret = "hunter2-is-the-password";
    const m = createMasker([secret]);
    for (const prefix of ["", "u:", "us:", "use:"]) {
      for (const suffix of ["", "\n", ":more"]) {
        const encoded = Buffer.from(`${prefix}${secret}${suffix}`).toString("base64");
        const masked = m.mask(encoded);
        expect(masked).toContain("***");
        // What is left around the mask is at most the 4-digit groups holding the prefix or
        // the suffix and up to two bytes of the secret each.
        const groups = Math.ceil((prefix.length + 2) / 3) + Math.ceil((suffix.length + 2) / 3);
        expect(masked.replace("***", "").length).toBeLessThanOrEqual(4 * groups);
        expect(m.mask(encoded.replace(/\+/g, "-").replace(/\//g, "_"))).toContain("***");
      }
    }
  });

  it("does not register encoded forms shorter than four characters", () => {
    const m = createMasker(["ab"]);
    // base64 of "ab" is "YWI=", of "b" is "Yg==": only the four-character form is kept.
    expect(listBase64Forms("ab")).toContain("Yg");
    expect(m.mask("Yg YWI ab")).toBe("Yg YWI ***");
    expect(m.mask("a b")).toBe("a b");
  });
});

describe("masking through the runner", () => {
  let h: Harness | undefined;
  afterEach(() => h?.cleanup());

  it("masks a secret's encoded forms printed by a step", async () => {
    h = createHarness();
    const secret = "Tr0ub4dor&3 horse/staple+battery";
    const script = [
      `node -e 'const s = process.env.S;`,
      `console.log("uri " + encodeURIComponent(s));`,
      `console.log("form " + new URLSearchParams({ s }).toString());`,
      `console.log("json " + JSON.stringify({ s }));'`,
      `printf '%s' "$S" | base64 -w0; echo`,
      `printf 'user:%s' "$S" | base64 -w0; echo`,
      `printf '%s\n' "$S" | base64 -w0; echo`,
    ].join("\n");
    const result = await h.run(request([run(script, { env: { S: "${{ secrets.T }}" } })], {}), { secrets: { T: secret } });
    expect(result.conclusion).toBe("success");
    const lines = h.lines(0);
    expect(lines).toHaveLength(6);
    const forms = [encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)];
    const b64 = [secret, `user:${secret}`, `${secret}\n`].map((v) => Buffer.from(v).toString("base64"));
    const printed = lines.join("\n");
    for (const form of [secret, ...forms]) expect(printed).not.toContain(form);
    for (const form of b64) expect(printed).not.toContain(form.replace(/=+$/, "").slice(4, -4));
    expect(lines[0]).toBe("uri ***");
    expect(lines[1]).toBe("form s=***");
    expect(lines[2]).toBe('json {"s":"***"}');
    expect(lines[3]).toMatch(/^\*\*\*=*$/);
    for (const line of lines.slice(4)) expect(line).toContain("***");
  });
});
