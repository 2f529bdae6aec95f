/** URLs lose their credentials before they are shown: user-info, scp passwords and secret query parameters. */
import { describe, expect, it } from "vitest";
import { redactUrl } from "../../src/lib/index.js";

describe("redactUrl", () => {
  it("drops the user-info of http(s) and other scheme URLs, a bare token included", () => {
    expect(redactUrl("https://user:pass@git.example.com/a.git")).toBe("https://***@git.example.com/a.git");
    expect(redactUrl("http://x-access-token:ghs_abc123@127.0.0.1:9/octo/tools.git")).toBe("http://***@127.0.0.1:9/octo/tools.git");
    expect(redactUrl("https://ghp_secret@github.com/o/r")).toBe("https://***@github.com/o/r");
    expect(redactUrl("ssh://git:hunter2@host:22/o/r.git")).toBe("ssh://***@host:22/o/r.git");
  });

  it("leaves URLs without credentials as they are", () => {
    for (const url of ["file:///srv/repo", "https://github.com/o/r.git", "git@github.com:o/r.git", "/srv/repo", "https://host/a?page=2&per_page=30", "https://host/a@b"]) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it("redacts the password of scp-like addresses and keeps the user", () => {
    expect(redactUrl("deploy:s3cret@git.example.com:o/r.git")).toBe("deploy:***@git.example.com:o/r.git");
    expect(redactUrl("fatal: could not read from 'deploy:s3cret@host:o/r.git'")).toBe("fatal: could not read from 'deploy:***@host:o/r.git'");
  });

  it("redacts the values of query parameters that carry secrets", () => {
    expect(redactUrl("https://host/x.tgz?token=abc&page=2")).toBe("https://host/x.tgz?token=***&page=2");
    expect(redactUrl("https://host/api?access_token=abc")).toBe("https://host/api?access_token=***");
    expect(redactUrl("https://bucket.s3/x?X-Amz-Credential=AK%2F1&X-Amz-Signature=f00d&X-Amz-Expires=60")).toBe("https://bucket.s3/x?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60");
    expect(redactUrl("https://blob/x?sv=2024&sig=abc%3D")).toBe("https://blob/x?sv=2024&sig=***");
  });

  it("redacts every URL in a message, not only one at its start", () => {
    const stderr = "fatal: unable to access 'https://u:tok@host/a.git/': Could not resolve host\nremote: see https://tok2@host/b?private_token=zzz";
    const shown = redactUrl(stderr);
    expect(shown).not.toMatch(/tok@|tok2|zzz/);
    expect(shown).toBe("fatal: unable to access 'https://***@host/a.git/': Could not resolve host\nremote: see https://***@host/b?private_token=***");
  });
});
