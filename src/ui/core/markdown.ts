/**
 * Step summaries are Markdown written by workflow steps: untrusted. They are
 * rendered by `marked` and then sanitised by DOMPurify (no scripts, event
 * handlers, iframes, forms or styles); links open in a new tab without opener.
 */
import DOMPurify from "dompurify";
import { marked } from "marked";

let hooked = false;

export function renderMarkdown(markdown: string): string {
  if (!hooked) {
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.getAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    });
    hooked = true;
  }
  const html = marked.parse(markdown, { async: false, gfm: true, breaks: false }) as string;
  return DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
  });
}
