// Token counts per assistant channel, read off a rendered harmony token stream. Only the
// renderer emits special tokens (text never becomes one), so scanning for them is exact.
// A message is <|start|> author [<|channel|> channel …] <|message|> content terminator; an
// assistant message (author token `assistant`, with or without ` to=…`) counts on its channel
// from <|start|> through its terminator inclusive.
import { SPECIAL } from "../tokenize/o200k_harmony.js";

const ASSISTANT = 173781;
const ANALYSIS = 35644;
const FINAL = 17196;
const COMMENTARY = [12606, 815] as const;
const TERMINATORS = new Set<number>([SPECIAL.end, SPECIAL.call, SPECIAL.return]);

export interface ChannelTokens {
  analysis: number;
  commentary: number;
  final: number;
}

export function channelTokens(tokens: ArrayLike<number>): ChannelTokens {
  const out: ChannelTokens = { analysis: 0, commentary: 0, final: 0 };
  let i = 0;
  while (i < tokens.length) {
    if (tokens[i] !== SPECIAL.start) {
      i++;
      continue;
    }
    const start = i;
    let end = start + 1;
    while (end < tokens.length && !TERMINATORS.has(tokens[end])) end++;
    const channel = tokens[start + 1] === ASSISTANT ? channelOf(tokens, start, end) : undefined;
    if (channel) out[channel] += Math.min(end, tokens.length - 1) - start + 1;
    i = end + 1;
  }
  return out;
}

function channelOf(tokens: ArrayLike<number>, start: number, end: number): keyof ChannelTokens | undefined {
  for (let j = start + 1; j < end; j++) {
    if (tokens[j] === SPECIAL.message) return undefined;
    if (tokens[j] !== SPECIAL.channel) continue;
    const first = tokens[j + 1];
    if (first === ANALYSIS) return "analysis";
    if (first === FINAL) return "final";
    if (first === COMMENTARY[0] && tokens[j + 2] === COMMENTARY[1]) return "commentary";
    return undefined;
  }
  return undefined;
}
