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
  /** Index in the record's messages of the message this one renders (conversation messages only). */
  source?: number;
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

/** A message as an ordered list of parts: special ids and text. */
export type Part = { special: number } | { text: string; content?: true };

export function messageParts(message: HarmonyMessage): Part[] {
  const parts: Part[] = [{ special: SPECIAL.start }, { text: message.author }];
  if (message.recipient !== undefined) parts.push({ text: ` to=${message.recipient}` });
  if (message.channel !== undefined) parts.push({ special: SPECIAL.channel }, { text: message.channel });
  if (message.contentType?.constrained) {
    parts.push({ text: " " }, { special: SPECIAL.constrain }, { text: message.contentType.type });
  } else if (message.contentType) {
    parts.push({ text: ` ${message.contentType.type}` });
  }
  parts.push({ special: SPECIAL.message }, { text: message.content, content: true });
  parts.push({ special: TERMINATOR_ID[message.terminator] });
  return parts;
}

const specialText = (id: number): string => specialName(id) ?? `<|${id}|>`;

/** The text of a message, special tokens written as their names. */
export function messageText(message: HarmonyMessage): string {
  return messageParts(message)
    .map((part) => ("special" in part ? specialText(part.special) : part.text))
    .join("");
}

/**
 * Ids of text that repeats across records: headers (roles, channels, recipients) and the
 * system/developer messages, which are the same for every record of a persona and tool set.
 * Caching them made rendering about twice as fast; bounded so odd inputs cannot grow it.
 */
const REPEATED_TEXT_LIMIT = 4096;
const repeatedText = new Map<string, readonly number[]>();

function encodeRepeated(text: string): readonly number[] {
  let ids = repeatedText.get(text);
  if (ids === undefined) {
    if (repeatedText.size >= REPEATED_TEXT_LIMIT) repeatedText.clear();
    ids = getTokenizer().encodeText(text);
    repeatedText.set(text, ids);
  }
  return ids;
}

/** Accumulates ids and pieces; the only place special ids enter a rendering. */
export class TokenWriter {
  readonly tokens: number[] = [];
  readonly pieces: RenderPiece[] = [];
  private readonly tokenizer = getTokenizer();

  private special(id: number): void {
    const at = this.tokens.length;
    this.tokens.push(id);
    this.pieces.push({ kind: "special", text: specialText(id), tokens: [at, at + 1] });
  }

  private text(text: string, repeated: boolean): void {
    if (text === "") return;
    const at = this.tokens.length;
    for (const id of repeated ? encodeRepeated(text) : this.tokenizer.encodeText(text)) this.tokens.push(id);
    this.pieces.push({ kind: "text", text, tokens: [at, this.tokens.length] });
  }

  writeMessage(message: HarmonyMessage): MessageSpan {
    const start = this.tokens.length;
    let content: [number, number] = [start, start];
    const preamble = message.role === "system" || message.role === "developer";
    for (const part of messageParts(message)) {
      if ("special" in part) this.special(part.special);
      else {
        const from = this.tokens.length;
        this.text(part.text, !part.content || preamble);
        if (part.content) content = [from, this.tokens.length];
      }
    }
    return { message, start, content, terminator: this.tokens.length - 1 };
  }
}
