/**
 * Step summaries are Markdown written by workflow steps: untrusted. They are
 * rendered by `marked` (GitHub-flavoured, with `:shortcode:` emoji under
 * GitHub's own names) and then sanitised by DOMPurify: no scripts, event
 * handlers, iframes, forms or styles. The one input kept is a task list's
 * checkbox, always disabled and with no attribute but its type and state.
 * Links open in a new tab without opener.
 */
import DOMPurify from "dompurify";
import { nameToEmoji } from "gemoji";
import { Marked, type RendererExtension, type TokenizerExtension } from "marked";

const SHORTCODE = /^:([a-z0-9_+-]+):/;

/** The emoji a shortcode names, or undefined for a name GitHub does not know. */
function emojiOf(name: string): string | undefined {
  return Object.hasOwn(nameToEmoji, name) ? nameToEmoji[name] : undefined;
}

/** `:rocket:` becomes 🚀; code spans and unknown names stay as written. */
const emojiExtension: TokenizerExtension & RendererExtension = {
  name: "emoji",
  level: "inline",
  start(src) {
    // Only where a known shortcode begins: a stray colon stays part of the text around it.
    for (let at = src.indexOf(":"); at !== -1; at = src.indexOf(":", at + 1)) {
      const m = SHORTCODE.exec(src.slice(at));
      if (m && emojiOf(m[1]!)) return at;
    }
    return undefined;
  },
  tokenizer(src) {
    const m = SHORTCODE.exec(src);
    const emoji = m ? emojiOf(m[1]!) : undefined;
    if (!m || !emoji) return undefined;
    return { type: "emoji", raw: m[0], name: m[1], emoji };
  },
  renderer(token) {
    return `<span class="emoji" role="img" aria-label="${String(token.name)}">${String(token.emoji)}</span>`;
  },
};

const marked = new Marked({ async: false, gfm: true, breaks: false, extensions: [emojiExtension] });

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
  const html = marked.parse(markdown) as string;
  const fragment = DOMPurify.sanitize(html, {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["style"],
    RETURN_DOM_FRAGMENT: true,
  });
  // Of inputs, only a task list's checkbox stays: disabled, with its type and state and nothing else.
  for (const input of fragment.querySelectorAll("input")) {
    if (input.getAttribute("type")?.toLowerCase() !== "checkbox") {
      input.remove();
      continue;
    }
    const checked = input.hasAttribute("checked");
    for (const name of input.getAttributeNames()) input.removeAttribute(name);
    input.setAttribute("type", "checkbox");
    input.setAttribute("disabled", "");
    if (checked) input.setAttribute("checked", "");
  }
  const holder = document.createElement("div");
  holder.append(fragment);
  return holder.innerHTML;
}
