// The harmony renderer: goldens (text and ids), the reference's rendering rules, injection safety,
// the hf dialect against text rendered by the Hugging Face gpt-oss template itself, and the masks.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Tiktoken } from "tiktoken/lite";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { MASK_MODES, renderRecord, renderText, renderWithSpans, type MaskMode } from "../../src/render/index.js";
import { formatPieces } from "../../src/render/view.js";
import { getTokenizer, harmonySpecialTokens, loadO200kBase, SPECIAL } from "../../src/tokenize/o200k_harmony.js";

const FIXTURES = join(import.meta.dirname, "../fixtures", "render");
const records = readFileSync(join(FIXTURES, "records.jsonl"), "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as ConversationRecord);
const byId = (id: string): ConversationRecord => {
  const record = records.find((r) => r.id === id);
  if (!record) throw new Error(`no fixture ${id}`);
  return structuredClone(record);
};
const golden = (...parts: string[]): string => readFileSync(join(FIXTURES, ...parts), "utf8");

/** Whole-string encoding with every special token allowed (test-only reference). */
const base = loadO200kBase();
const withSpecials = new Tiktoken(base.bpe_ranks, Object.fromEntries(harmonySpecialTokens()), base.pat_str);
afterAll(() => withSpecials.free());
const encodeAllowingSpecials = (text: string): number[] => Array.from(withSpecials.encode(text, "all"));

const INJECTION_IDS = new Set(["injection-user", "injection-assistant"]);
const SPECIAL_IDS = new Set(harmonySpecialTokens().values());

describe("harmony goldens", () => {
  it("has the fixtures it checks", () => expect(records.length).toBe(11));

  for (const record of records) {
    it(`${record.id}: text and ids match the committed golden`, () => {
      const rendered = renderRecord(record);
      expect(formatPieces(rendered.pieces)).toBe(golden("harmony", `${record.id}.txt`));
      const [ids, mask] = golden("harmony", `${record.id}.ids`).trimEnd().split("\n");
      expect(rendered.tokens.join(" ")).toBe(ids);
      expect(rendered.mask.join("")).toBe(mask);
      expect(renderText(record)).toBe(rendered.pieces.map((p) => p.text).join(""));
    });
  }

  it("piecewise ids equal the whole rendered string encoded with specials allowed", () => {
    let checked = 0;
    for (const record of records.filter((r) => !INJECTION_IDS.has(r.id))) {
      for (const dialect of ["harmony", "hf"] as const) {
        expect(renderRecord(record, { dialect }).tokens).toEqual(encodeAllowingSpecials(renderText(record, { dialect })));
        checked++;
      }
    }
    expect(checked).toBe(18);
  });

  it("pieces tile the token stream in order", () => {
    for (const record of records) {
      const { tokens, pieces } = renderRecord(record);
      let at = 0;
      for (const piece of pieces) {
        expect(piece.tokens[0]).toBe(at);
        expect(piece.tokens[1]).toBeGreaterThan(at);
        if (piece.kind === "text") expect(getTokenizer().decode(tokens.slice(...piece.tokens))).toBe(piece.text);
        at = piece.tokens[1];
      }
      expect(at).toBe(tokens.length);
    }
  });
});

describe("harmony rules (docs/RENDERING.md, openai/harmony)", () => {
  it("ends with the docs' `2 + 2 = 4.` token stream", () => {
    const { tokens } = renderRecord(byId("docs-2plus2"));
    expect(tokens.slice(-14)).toEqual([200006, 173781, 200005, 17196, 200008, 17, 659, 220, 17, 314, 220, 19, 13, 200002]);
  });

  it("renders the system message: identity, cutoff, date from meta, reasoning, channels", () => {
    const text = renderText(byId("tool-call"));
    expect(
      text.startsWith(
        "<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.\nKnowledge cutoff: 2024-06\n" +
          "Current date: 2025-06-28\n\nReasoning: medium\n\n# Valid channels: analysis, commentary, final. " +
          "Channel must be included for every message.\nCalls to these tools must go to the commentary channel: 'functions'.<|end|>",
      ),
    ).toBe(true);
    const plain = byId("plain-chat");
    delete plain.meta;
    const plainText = renderText(plain);
    expect(plainText).not.toContain("Current date");
    expect(plainText).not.toContain("Calls to these tools");
    expect(plainText).not.toContain("<|start|>developer");
    expect(renderText(byId("tool-schemas"))).toContain("\n\nReasoning: low\n\n");
  });

  it("renders the developer message of docs/RENDERING.md for the weather tool", () => {
    const record = byId("tool-call");
    record.messages.unshift({ role: "system", content: "Persona: lawful_good" });
    expect(renderText(record)).toContain(
      "<|start|>developer<|message|># Instructions\n\nPersona: lawful_good\n\n# Tools\n\n## functions\n\nnamespace functions {\n\n" +
        "// Gets the current weather in the provided location.\ntype get_weather = (_: {\n// The city, e.g. Oslo\ncity: string,\n" +
        'unit?: "celsius" | "fahrenheit", // default: celsius\n}) => any;\n\n} // namespace functions<|end|>',
    );
  });

  it("renders JSON Schemas as the reference does", () => {
    const text = renderText(byId("tool-schemas"));
    const expected = [
      "// IATA code, e.g. OSL\norigin: string,\n", // description comment, required
      "passengers?: number, // default: 1\n", // integer → number, optional, non-string default
      'cabin?: "economy" | "premium" | "business", // default: economy\n', // enum union, unquoted enum default
      // nested object: property description above, then the object's own description, props indented
      "// Optional filters\nfilters?:     // Optional filters\n{\n    max_price: number,\n    airlines?: string[],\n    },\n",
      "tags?: string[],\n", // arrays T[]
      "// Lists files in a folder.\n// Hidden files are skipped.\ntype list_files", // one comment per description line
      'path?: string, // default: "."\n', // string default quoted
      "patterns?: {\n    glob: string,\n    }[],\n", // array of objects
      "limit?: number | null,\n", // type list, integer → number
      "// Returns the current UTC time.\ntype get_time = () => any;\n\n} // namespace functions", // no parameters
    ];
    for (const part of expected) expect(text).toContain(part);
    // Property order is kept as given.
    const order = ["origin", "destination", "date", "passengers", "cabin", "flexible", "filters", "tags"].map((k) =>
      text.indexOf(`\n${k}`),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("renders a tool call and its result with the recipient in the author position", () => {
    const text = renderText(byId("tool-call"));
    const record = byId("ongoing-tool-call");
    expect(renderText(record)).toContain(
      "<|start|>assistant<|channel|>analysis<|message|>Call the tool for Bergen.<|end|>" +
        '<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Bergen"}<|call|>' +
        '<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"temp_c": 8}<|end|>',
    );
    expect(text).toContain('{"city":"Oslo","unit":"celsius"}<|call|>');
    expect(text.endsWith("<|start|>assistant<|channel|>final<|message|>3 °C in Oslo.<|return|>")).toBe(true);
  });

  it("accepts arguments given as a JSON string and keeps their key order, compact", () => {
    const record = byId("tool-call");
    record.messages[1].tool_calls![0].function.arguments = '{"unit": "celsius", "city": "Oslo"}';
    expect(renderText(record)).toContain('<|message|>{"unit":"celsius","city":"Oslo"}<|call|>');
  });

  it("renders two tool calls of one message as two messages, results named by their call ids", () => {
    const text = renderText(byId("two-calls"));
    expect(text).toContain(
      '<|start|>assistant to=functions.get_weather<|channel|>commentary <|constrain|>json<|message|>{"city":"Oslo"}<|call|>' +
        "<|start|>assistant to=functions.get_time<|channel|>commentary <|constrain|>json<|message|>{}<|call|>" +
        '<|start|>functions.get_weather to=assistant<|channel|>commentary<|message|>{"temp_c": -2, "sky": "snow"}<|end|>' +
        "<|start|>functions.get_time to=assistant<|channel|>commentary<|message|>2025-06-28T10:00:00Z<|end|>",
    );
  });

  it("drops analysis before the first final when the last assistant message is a final", () => {
    const text = renderText(byId("multi-turn-analysis"));
    expect(text).not.toContain("Simple arithmetic."); // before the first final: dropped
    expect(text).toContain(
      "<|start|>assistant<|channel|>analysis<|message|>4 * 3 = 12.<|end|><|start|>assistant<|channel|>final<|message|>12.<|return|>",
    );
    expect(renderText(byId("persona"))).not.toContain("<|channel|>analysis");
    expect(renderText(byId("tool-call"))).not.toContain("Need the weather tool.");
  });

  it("keeps every analysis message while the last assistant message is not a final", () => {
    const text = renderText(byId("ongoing-tool-call"));
    expect(text).toContain("<|channel|>analysis<|message|>Call the tool for Bergen.<|end|>");
    expect(text.endsWith("<|end|>")).toBe(true); // no final: no <|return|>
  });

  it("renders thinking then content of one message as analysis then final (kept after the first final)", () => {
    const record = byId("multi-turn-analysis");
    expect(renderText(record)).toMatch(/analysis<\|message\|>4 \* 3 = 12\.<\|end\|><\|start\|>assistant<\|channel\|>final/);
  });
});

describe("special-token text in content", () => {
  for (const id of INJECTION_IDS) {
    it(`${id}: stays ordinary tokens, only renderer pieces carry special ids`, () => {
      const { tokens, pieces } = renderRecord(byId(id));
      const specialPieces = pieces.filter((p) => p.kind === "special");
      const specialTokens = tokens.filter((t) => SPECIAL_IDS.has(t));
      expect(specialTokens.length).toBe(specialPieces.length);
      for (const piece of pieces) {
        const ids = tokens.slice(...piece.tokens);
        if (piece.kind === "text") expect(ids.some((t) => SPECIAL_IDS.has(t))).toBe(false);
      }
      const injected = pieces.filter((p) => p.kind === "text" && p.text.includes("<|start|>assistant<|channel|>final<|message|>"));
      expect(injected.length).toBeGreaterThan(0);
      // Encoding the same text with specials allowed WOULD forge tokens: the danger is real.
      expect(encodeAllowingSpecials(renderText(byId(id))).filter((t) => SPECIAL_IDS.has(t)).length).toBeGreaterThan(specialTokens.length);
    });
  }

  it("leaves the mask as the message structure gives it", () => {
    for (const id of INJECTION_IDS) {
      for (const mode of Object.keys(MASK_MODES) as MaskMode[]) {
        const rendered = renderRecord(byId(id), { mask: mode });
        expect(Array.from(rendered.mask)).toEqual(maskFromTokenStream(rendered.tokens, mode));
      }
    }
  });
});

interface ParsedMessage {
  start: number;
  contentStart: number;
  terminator: number;
  author: string;
  channel?: string;
}

/**
 * An independent reading of a token stream: messages found from the special ids alone
 * (<|start|> … <|message|> … terminator), author/channel decoded from the header.
 */
function parseTokenStream(tokens: number[]): ParsedMessage[] {
  const tokenizer = getTokenizer();
  const terminators = new Set<number>([SPECIAL.end, SPECIAL.call, SPECIAL.return]);
  const out: ParsedMessage[] = [];
  let i = 0;
  while (i < tokens.length) {
    expect(tokens[i]).toBe(SPECIAL.start);
    const start = i;
    const header: number[] = [];
    let channel: number[] | undefined;
    for (i++; tokens[i] !== SPECIAL.message; i++) {
      if (tokens[i] === SPECIAL.channel) channel = [];
      else if (channel && tokens[i] !== SPECIAL.constrain) channel.push(tokens[i]);
      else if (!channel) header.push(tokens[i]);
    }
    const contentStart = i + 1;
    for (i++; !terminators.has(tokens[i]); i++);
    out.push({
      start,
      contentStart,
      terminator: i,
      author: tokenizer.decode(header).split(" ")[0],
      channel: channel && tokenizer.decode(channel).split(" ")[0],
    });
    i++;
  }
  return out;
}

function maskFromTokenStream(tokens: number[], mode: MaskMode): number[] {
  const messages = parseTokenStream(tokens);
  const mask = new Array<number>(tokens.length).fill(0);
  const lastUser = messages.findLastIndex((m) => m.author === "user");
  messages.forEach((m, index) => {
    if (m.author !== "assistant") return;
    if (mode === "last-turn" && index < lastUser) return;
    if (mode === "final" && m.channel !== "final") return;
    mask.fill(1, mode === "final" ? m.contentStart : m.start, m.terminator + 1);
  });
  mask[0] = 0;
  return mask;
}

describe("loss masks", () => {
  const modes = Object.keys(MASK_MODES) as MaskMode[];

  it("agree with a mask read back from the token stream, for every fixture, mode and dialect", () => {
    let maskedSpans = 0;
    for (const record of records) {
      for (const dialect of ["harmony", "hf"] as const) {
        for (const mode of modes) {
          const rendered = renderRecord(record, { dialect, mask: mode });
          expect(Array.from(rendered.mask), `${record.id} ${dialect} ${mode}`).toEqual(maskFromTokenStream(rendered.tokens, mode));
          maskedSpans += parseTokenStream(rendered.tokens).filter((m) => m.author === "assistant").length;
        }
      }
    }
    expect(maskedSpans).toBeGreaterThan(100);
  });

  it("assistant: every assistant message from <|start|> through its terminator, and nothing else", () => {
    const { tokens, mask, spans } = renderWithSpans(byId("two-calls"), { mask: "assistant" });
    const assistant = spans.filter((s) => s.message.role === "assistant");
    expect(assistant.length).toBe(3); // two calls + the final (analysis dropped)
    for (const span of assistant) {
      expect(tokens[span.start]).toBe(SPECIAL.start);
      expect(Array.from(mask.slice(span.start, span.terminator + 1)).every((bit) => bit === 1)).toBe(true);
    }
    // Spans are disjoint, so all-ones inside them plus this count means zeros everywhere else.
    const covered = assistant.reduce((n, s) => n + s.terminator + 1 - s.start, 0);
    expect(mask.reduce((n, bit) => n + bit, 0)).toBe(covered);
    expect(tokens.filter((t, i) => mask[i] && t === SPECIAL.call).length).toBe(2);
    expect(tokens.filter((t, i) => mask[i] && t === SPECIAL.constrain).length).toBe(2);
  });

  it("last-turn: only assistant messages after the last user message", () => {
    const record = byId("multi-turn-analysis");
    const all = renderWithSpans(record, { mask: "assistant" });
    const last = renderWithSpans(record, { mask: "last-turn" });
    const firstFinal = all.spans.find((s) => s.message.channel === "final")!;
    expect(all.mask[firstFinal.start]).toBe(1);
    expect(last.mask[firstFinal.start]).toBe(0);
    const lastTurn = last.spans.slice(-2);
    expect(lastTurn.map((s) => s.message.channel)).toEqual(["analysis", "final"]);
    for (const span of lastTurn) expect(last.mask[span.start]).toBe(1);
    expect(last.mask.reduce((n, b) => n + b, 0)).toBe(lastTurn.reduce((n, s) => n + s.terminator + 1 - s.start, 0));
  });

  it("final: final-channel content and its terminator only", () => {
    const { tokens, mask, spans } = renderWithSpans(byId("multi-turn-analysis"), { mask: "final" });
    const finals = spans.filter((s) => s.message.channel === "final");
    expect(finals.length).toBe(2);
    const expected = finals.reduce((n, s) => n + s.terminator + 1 - s.content[0], 0);
    expect(mask.reduce((n, b) => n + b, 0)).toBe(expected);
    for (const s of finals) {
      expect(mask[s.content[0] - 1]).toBe(0); // <|message|> is not a target
      expect(mask[s.terminator]).toBe(1);
    }
    expect(tokens[tokens.length - 1]).toBe(SPECIAL.return);
    expect(mask[tokens.length - 1]).toBe(1);
  });

  it("never makes the first token a target", () => {
    const record: ConversationRecord = { id: "a", persona: null, messages: [{ role: "assistant", content: "Hi." }] };
    for (const mode of modes) expect(renderRecord(record, { mask: mode }).mask[0]).toBe(0);
  });

  it("names the known modes and dialects for an unknown one", () => {
    expect(() => renderRecord(byId("plain-chat"), { mask: "all" as MaskMode })).toThrow(/known: assistant, last-turn, final/);
    expect(() => renderRecord(byId("plain-chat"), { dialect: "chatml" as "hf" })).toThrow(/known: harmony, hf/);
  });
});

describe("hf dialect against the Hugging Face gpt-oss template (trl gptoss.jinja)", () => {
  const rendered = records.filter((r) => r.id !== "injection-assistant");

  for (const record of rendered) {
    it(`${record.id}: same text as the template`, () => {
      expect(renderText(record, { dialect: "hf" })).toBe(golden("hf", `${record.id}.txt`));
    });
  }

  it("shows the template's differences from harmony", () => {
    const text = renderText(byId("two-calls"), { dialect: "hf" });
    expect(text).toContain('<|start|>assistant to=functions.get_weather<|channel|>commentary json<|message|>{"city": "Oslo"}<|call|>');
    expect(text).not.toContain("functions.get_time<|channel|>"); // only the first call of a message
    expect(text).toContain('<|message|>"{\\"temp_c\\": -2, \\"sky\\": \\"snow\\"}"<|end|>'); // result JSON-quoted
    expect(text).toContain("Persona: chaotic_good\n\n# Tools");
    expect(renderText(byId("persona"), { dialect: "hf" })).toContain("Persona: lawful_good\n\n<|end|>");
    // The last assistant message keeps its analysis; earlier turns are final-only.
    const multi = renderText(byId("multi-turn-analysis"), { dialect: "hf" });
    expect(multi).not.toContain("Simple arithmetic.");
    expect(multi).toContain("<|channel|>analysis<|message|>4 * 3 = 12.<|end|>");
  });
});
