// Loss masks: mask[t] = 1 means token t is a supervised target. See docs/RENDERING.md "Loss masks".
import type { MessageSpan } from "./message.js";

import type { MaskMode } from "./names.js";

export type { MaskMode } from "./names.js";

type SpanSelector = (spans: MessageSpan[]) => Array<[number, number]>;

/** Every assistant message from its <|start|> through its terminator (TRL assistant_only_loss). */
const assistantSpans: SpanSelector = (spans) => spans.filter((s) => s.message.role === "assistant").map((s) => [s.start, s.terminator + 1]);

/** Only assistant messages after the last user message (the reference fine-tune). */
const lastTurnSpans: SpanSelector = (spans) => {
  const lastUser = spans.findLastIndex((s) => s.message.role === "user");
  return assistantSpans(spans.slice(lastUser + 1));
};

/** Final-channel content and its terminator (Unsloth's recipe). */
const finalSpans: SpanSelector = (spans) =>
  spans.filter((s) => s.message.role === "assistant" && s.message.channel === "final").map((s) => [s.content[0], s.terminator + 1]);

/** Registry of mask modes (an unknown name lists the known ones). */
export const MASK_MODES: Record<MaskMode, SpanSelector> = {
  assistant: assistantSpans,
  "last-turn": lastTurnSpans,
  final: finalSpans,
};

export function isMaskMode(name: string): name is MaskMode {
  return Object.hasOwn(MASK_MODES, name);
}

export function buildMask(length: number, spans: MessageSpan[], mode: MaskMode): Uint8Array {
  const mask = new Uint8Array(length);
  for (const [from, to] of MASK_MODES[mode](spans)) mask.fill(1, from, to);
  // The first token of a document is never a target (nothing predicts it).
  if (length > 0) mask[0] = 0;
  return mask;
}
