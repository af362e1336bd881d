// Render a conversation record to harmony token ids + loss mask.
// Entry point of the render stage; the packer and stats use renderRecord().
import type { ConversationRecord } from "../core/record.js";
import { UsageError } from "../core/errors.js";
import { harmonyMessages } from "./harmony.js";
import { hfMessages } from "./hf.js";
import { buildMask, isMaskMode, MASK_MODES, type MaskMode } from "./mask.js";
import { DOCUMENT_MODE_NAMES, type Dialect, type DocumentMode } from "./names.js";
import { messageText, TokenWriter, type HarmonyMessage, type MessageSpan, type RenderPiece } from "./message.js";

export type { MaskMode } from "./mask.js";
export type { HarmonyMessage, MessageSpan, RenderPiece } from "./message.js";
export { MASK_MODES } from "./mask.js";

export type { Dialect, DocumentMode } from "./names.js";
export { DOCUMENT_MODE_NAMES } from "./names.js";
export { assistantTurns, renderDocuments, type DocumentRendering, type RecordDocuments, type Turn } from "./documents.js";

/** Registry of dialects: record → harmony messages. */
export const DIALECTS: Record<Dialect, (record: ConversationRecord) => HarmonyMessage[]> = {
  harmony: harmonyMessages,
  hf: hfMessages,
};

export interface RenderOptions {
  dialect?: Dialect;
  mask?: MaskMode;
  /** How records become documents (renderDocuments); renderRecord always renders the whole record. */
  documents?: DocumentMode;
}

export interface Rendered {
  tokens: number[];
  /** mask[t] = 1: token t is a supervised target; mask[0] is always 0. */
  mask: Uint8Array;
  /** The rendering as ordered special / text pieces with their token ranges. */
  pieces: RenderPiece[];
}

export interface RenderedWithSpans extends Rendered {
  spans: MessageSpan[];
}

export function isDialect(name: string): name is Dialect {
  return Object.hasOwn(DIALECTS, name);
}

export function isDocumentMode(name: string): name is DocumentMode {
  return (DOCUMENT_MODE_NAMES as readonly string[]).includes(name);
}

/** Check option names up front; an unknown name lists the known ones. */
export function checkRenderOptions(options: { dialect?: string; mask?: string; documents?: string }): RenderOptions {
  if (options.documents !== undefined && !isDocumentMode(options.documents)) {
    throw new UsageError(`unknown documents mode "${options.documents}" (known: ${DOCUMENT_MODE_NAMES.join(", ")})`);
  }
  if (options.dialect !== undefined && !isDialect(options.dialect)) {
    throw new UsageError(`unknown dialect "${options.dialect}" (known: ${Object.keys(DIALECTS).join(", ")})`);
  }
  if (options.mask !== undefined && !isMaskMode(options.mask)) {
    throw new UsageError(`unknown mask mode "${options.mask}" (known: ${Object.keys(MASK_MODES).join(", ")})`);
  }
  return options as RenderOptions;
}

/** Render with the message spans too (for views and tests of the mask). */
export function renderWithSpans(record: ConversationRecord, options: RenderOptions = {}): RenderedWithSpans {
  const { dialect = "harmony", mask = "assistant" } = checkRenderOptions(options);
  const writer = new TokenWriter();
  const spans = DIALECTS[dialect](record).map((message) => writer.writeMessage(message));
  return { tokens: writer.tokens, mask: buildMask(writer.tokens.length, spans, mask), pieces: writer.pieces, spans };
}

/** Record → token ids, loss mask and pieces. */
export function renderRecord(record: ConversationRecord, options: RenderOptions = {}): Rendered {
  const { tokens, mask, pieces } = renderWithSpans(record, options);
  return { tokens, mask, pieces };
}

/** The rendered text (special tokens written as their names). */
export function renderText(record: ConversationRecord, options: RenderOptions = {}): string {
  const { dialect = "harmony" } = checkRenderOptions(options);
  return DIALECTS[dialect](record).map(messageText).join("");
}
