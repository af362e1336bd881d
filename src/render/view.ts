// Human views of a rendering: the text with special tokens set apart, and a per-token table
// (position / id / mask / token text) — the view a user needs to debug masks.
import { getTokenizer } from "../tokenize/o200k_harmony.js";
import type { Rendered, RenderPiece } from "./index.js";

/** `⟦<|start|>⟧user⟦<|message|>⟧Hi⟦<|end|>⟧`: special tokens cannot be confused with text. */
export function formatPieces(pieces: RenderPiece[]): string {
  return pieces.map((piece) => (piece.kind === "special" ? `⟦${piece.text}⟧` : piece.text)).join("");
}

/** A text token as a JSON string; one that is not whole UTF-8 as its bytes, e.g. `bytes(e2 80)`. */
export function tokenLabel(id: number): string {
  const bytes = getTokenizer().decodeBytes([id]);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return `bytes(${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ")})`;
  }
  return JSON.stringify(text);
}

export interface TableOptions {
  /** Colour masked rows (ANSI); only for a TTY. */
  color?: boolean;
}

const GREEN = "\x1b[32m";
const RESET = "\x1b[0m";

/**
 * One line per token: position, id, mask, token text. Special tokens show as their names,
 * text tokens JSON-quoted, so `"<|start|>"` (text) and <|start|> (special) read differently.
 */
export function formatTokenTable(rendered: Rendered, options: TableOptions = {}): string {
  const special = new Map<number, string>();
  for (const piece of rendered.pieces) if (piece.kind === "special") special.set(piece.tokens[0], piece.text);
  const width = Math.max(3, String(rendered.tokens.length - 1).length);
  const lines = [`${"pos".padStart(width)}  ${"id".padStart(6)}  mask  token`];
  rendered.tokens.forEach((id, pos) => {
    const label = special.get(pos) ?? tokenLabel(id);
    const masked = rendered.mask[pos] === 1;
    const line = `${String(pos).padStart(width)}  ${String(id).padStart(6)}  ${masked ? "   1" : "   0"}  ${label}`;
    lines.push(options.color && masked ? `${GREEN}${line}${RESET}` : line);
  });
  return lines.join("\n");
}
