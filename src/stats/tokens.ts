// Token figures of one record: render it with the foundation renderer (o200k_harmony ids and
// the loss mask of the chosen mode), then count total, trained and per-channel tokens.
import type { ConversationRecord } from "../core/record.js";
import { renderRecord, type Dialect, type MaskMode } from "../render/index.js";
import { channelTokens } from "./channels.js";
import type { TokenCounter, TokenFacts } from "./facts.js";

export interface RenderOptions {
  dialect: Dialect;
  mask: MaskMode;
  /** --allow-trailing-call (a rule of validation, carried here to the workers with the render settings). */
  allowTrailingCall?: boolean;
}

export function renderTokenCounter(options: RenderOptions): TokenCounter {
  return (record: ConversationRecord): TokenFacts => {
    const rendered = renderRecord(record, options);
    let trained = 0;
    for (let i = 0; i < rendered.mask.length; i++) trained += rendered.mask[i];
    return { total: rendered.tokens.length, trained, ...channelTokens(rendered.tokens) };
  };
}
