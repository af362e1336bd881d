// Token figures of one record: render its documents with the foundation renderer (o200k_harmony ids
// and the loss mask of the chosen mode, --documents cutting it into turns or not), then count total,
// trained and per-channel tokens over them, and what the documents mode costs.
import type { ConversationRecord } from "../core/record.js";
import { renderDocuments, type Dialect, type DocumentMode, type MaskMode } from "../render/index.js";
import { channelTokens } from "./channels.js";
import type { TokenCounter, TokenFacts } from "./facts.js";

export interface RenderOptions {
  dialect: Dialect;
  mask: MaskMode;
  /** --documents (default auto). */
  documents?: DocumentMode;
  /** --allow-trailing-call (a rule of validation, carried here to the workers with the render settings). */
  allowTrailingCall?: boolean;
}

export function renderTokenCounter(options: RenderOptions): TokenCounter {
  return (record: ConversationRecord): TokenFacts => {
    const out = renderDocuments(record, { dialect: options.dialect, mask: options.mask, documents: options.documents ?? "auto" });
    const facts: TokenFacts = { total: 0, trained: 0, analysis: 0, commentary: 0, final: 0 };
    for (const doc of out.documents) {
      facts.total += doc.tokens.length;
      for (let i = 0; i < doc.mask.length; i++) facts.trained += doc.mask[i];
      const channels = channelTokens(doc.tokens);
      facts.analysis += channels.analysis;
      facts.commentary += channels.commentary;
      facts.final += channels.final;
    }
    return {
      ...facts,
      documents: out.documents.length,
      repeatedPrefix: out.repeatedPrefixTokens,
      analysisDropped: out.analysisTokensDropped,
    };
  };
}
