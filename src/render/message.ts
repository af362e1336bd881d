// One harmony message before tokenization, and how it becomes pieces and tokens:
//   <|start|>{author}[ to={recipient}][<|channel|>{channel}][ <|constrain|>{type}]<|message|>{content}{terminator}
// Special tokens are emitted by id here and only here; every text piece goes through encodeText,
// so special-token strings inside content stay ordinary text.
import { getTokenizer, SPECIAL, specialName } from "../tokenize/o200k_harmony.js";

export type HarmonyRole = "system" | "developer" | "user" | "assistant" | "tool";
export type Terminator = "end" | "call" | "return";

export interface HarmonyMessage {
  role: HarmonyRole;
  /** The role name, or for a tool result the tool's name (`functions.get_weather`). */
  author: string;
  /** Rendered right after the author as ` to={recipient}`. */
  recipient?: string;
  channel?: string;
  /** ` <|constrain|>{type}` when constrained (harmony), plain text ` {type}` otherwise (hf template). */
  contentType?: { type: string; constrained: boolean };
  content: string;
  terminator: Terminator;
}

export interface RenderPiece {
  kind: "special" | "text";
  text: string;
  /** Token range [start, end) of this piece in the rendered ids. */
  tokens: [number, number];
}

/** Where one message landed in the token stream (for the loss masks). */
export interface MessageSpan {
  message: HarmonyMessage;
  /** Index of its `<|start|>` token. */
  start: number;
  /** Token range of its content. */
  content: [number, number];
  /** Index of its terminator token; the message spans [start, terminator]. */
  terminator: number;
}

const TERMINATOR_ID: Record<Terminator, number> = { end: SPECIAL.end, call: SPECIAL.call, return: SPECIAL.return };

/** Accumulates ids and pieces; the only place special ids enter a rendering. */
export class TokenWriter {
  readonly tokens: number[] = [];
  readonly pieces: RenderPiece[] = [];
  private readonly tokenizer = getTokenizer();

  special(id: number): number {
    const at = this.tokens.length;
    this.tokens.push(id);
    this.pieces.push({ kind: "special", text: specialName(id) ?? `<|${id}|>`, tokens: [at, at + 1] });
    return at;
  }

  text(text: string): void {
    if (text === "") return;
    const at = this.tokens.length;
    for (const id of this.tokenizer.encodeText(text)) this.tokens.push(id);
    this.pieces.push({ kind: "text", text, tokens: [at, this.tokens.length] });
  }

  writeMessage(message: HarmonyMessage): MessageSpan {
    const start = this.special(SPECIAL.start);
    this.text(message.author);
    if (message.recipient !== undefined) this.text(` to=${message.recipient}`);
    if (message.channel !== undefined) {
      this.special(SPECIAL.channel);
      this.text(message.channel);
    }
    if (message.contentType?.constrained) {
      this.text(" ");
      this.special(SPECIAL.constrain);
      this.text(message.contentType.type);
    } else if (message.contentType) {
      this.text(` ${message.contentType.type}`);
    }
    this.special(SPECIAL.message);
    const contentStart = this.tokens.length;
    this.text(message.content);
    const contentEnd = this.tokens.length;
    const terminator = this.special(TERMINATOR_ID[message.terminator]);
    return { message, start, content: [contentStart, contentEnd], terminator };
  }
}
