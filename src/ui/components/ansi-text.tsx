/**
 * Renders text with ANSI SGR codes as styled spans. Text goes through React
 * as text nodes, never as HTML, so log content cannot inject markup.
 * The 16 basic colours are classes (themed by CSS); 256-colour and
 * true-colour codes become inline colours.
 */
import Anser from "anser";
import type { CSSProperties } from "react";
import { memo } from "react";

const CUBE = [0, 95, 135, 175, 215, 255];

function paletteColor(index: number): string | undefined {
  if (index < 16) return undefined;
  if (index < 232) {
    const i = index - 16;
    return `rgb(${CUBE[Math.floor(i / 36)]}, ${CUBE[Math.floor(i / 6) % 6]}, ${CUBE[i % 6]})`;
  }
  const v = 8 + (index - 232) * 10;
  return `rgb(${v}, ${v}, ${v})`;
}

const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function colorOf(cls: string | null, truecolor: string | null): { className?: string; color?: string } {
  if (!cls) return {};
  if (cls === "ansi-truecolor" && truecolor) return { color: `rgb(${truecolor})` };
  const palette = /^ansi-palette-(\d+)$/.exec(cls);
  if (palette) {
    const n = Number(palette[1]);
    if (n < 16) return { className: `ansi-${n >= 8 ? "bright-" : ""}${BASIC[n % 8]}` };
    return { color: paletteColor(n) };
  }
  return { className: cls };
}

export const AnsiText = memo(function AnsiText({ text }: { text: string }) {
  if (!text.includes("\x1b")) return <>{text}</>;
  const parts = Anser.ansiToJson(text, { use_classes: true, remove_empty: true });
  return (
    <>
      {parts.map((p, i) => {
        const fg = colorOf(p.fg, p.fg_truecolor);
        const bg = colorOf(p.bg, p.bg_truecolor);
        const classes = [fg.className ? `${fg.className}-fg` : "", bg.className ? `${bg.className}-bg` : "", ...p.decorations.map((d) => `ansi-${d}`)]
          .filter(Boolean)
          .join(" ");
        const style: CSSProperties = {};
        if (fg.color) style.color = fg.color;
        if (bg.color) style.backgroundColor = bg.color;
        if (!classes && !fg.color && !bg.color) return <span key={i}>{p.content}</span>;
        return (
          <span key={i} className={classes || undefined} style={fg.color || bg.color ? style : undefined}>
            {p.content}
          </span>
        );
      })}
    </>
  );
});
