// The shape adapters (src/ingest/shapes): each fixture file in test/fixtures/ingest/shapes/ is
// written from its shape's public documentation (see the README there).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { ConversationRecord, Message, ToolCall } from "../../src/core/record.js";
import { adaptRecord, detectShape, type AdaptResult, type ShapeOption } from "../../src/ingest/shapes/index.js";
import { pythonType } from "../../src/ingest/shapes/xlam.js";
import { pythonLiteralToJson } from "../../src/ingest/shapes/python-literal.js";
import { parseJsonText, stringifyJson } from "../../src/core/json.js";
import { mulberry32 } from "../../src/core/prng.js";
import { renderRecord, renderText } from "../../src/render/index.js";
import { validateRecord } from "../../src/validate/index.js";

const DIR = "test/fixtures/ingest/shapes";
const lines = (name: string): unknown[] =>
  readFileSync(`${DIR}/${name}`, "utf8")
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as unknown);
const file = (name: string): string => `${DIR}/${name}`;

type Adapted = Extract<AdaptResult, { record: unknown }>;

function adapt(name: string, index: number, shape: ShapeOption = "auto"): Adapted {
  const result = adaptRecord(lines(name)[index], { shape, file: file(name), line: index + 1 });
  if ("error" in result) throw new Error(`${name}:${index + 1}: ${result.error.code} ${result.error.message}`);
  return result;
}

/** Adapt and validate; the validated (normalized) record. */
function valid(name: string, index: number, allowTrailingCall = false): ConversationRecord {
  const { record } = adapt(name, index);
  const checked = validateRecord(structuredClone(record), { allowTrailingCall });
  if (!checked.ok) throw new Error(`${name}:${index + 1}: ${JSON.stringify(checked.issues)}`);
  return checked.record;
}

const calls = (record: ConversationRecord): ToolCall[] => record.messages.flatMap((m) => m.tool_calls ?? []);
const results = (record: ConversationRecord): Message[] => record.messages.filter((m) => m.role === "tool");
const args = (call: ToolCall): unknown =>
  typeof call.function.arguments === "string" ? JSON.parse(call.function.arguments) : call.function.arguments;

describe("detectShape", () => {
  it.each([
    ["openai.jsonl", "openai"],
    ["thinking.jsonl", "openai"],
    ["sharegpt.jsonl", "sharegpt"],
    ["hermes.jsonl", "hermes"],
    ["xlam.jsonl", "xlam"],
  ])("every line of %s is %s", (name, shape) => {
    for (const value of lines(name)) expect(detectShape(value)).toBe(shape);
  });

  it("our own records are native and pass through as the same object", () => {
    const values = readFileSync("data/examples/conversations.jsonl", "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    for (const value of values) {
      expect(detectShape(value)).toBe("native");
      const result = adaptRecord(value, { file: "x", line: 1 });
      expect("record" in result && result.record).toBe(value);
      expect("record" in result && result.dropped).toEqual([]);
    }
  });

  it("a line of no known shape is unknown_shape; a forced shape that does not fit is shape_mismatch", () => {
    expect(adaptRecord({ instruction: "alpaca", output: "no" }, { file: "f", line: 3 })).toMatchObject({
      error: { code: "unknown_shape" },
    });
    expect(adaptRecord([1, 2], { file: "f", line: 3 })).toMatchObject({ error: { code: "unknown_shape" } });
    expect(adaptRecord(lines("openai.jsonl")[1], { shape: "xlam", file: "f", line: 1 })).toMatchObject({
      error: { code: "shape_mismatch" },
    });
    expect(adaptRecord(lines("xlam.jsonl")[0], { shape: "sharegpt", file: "f", line: 1 })).toMatchObject({
      error: { code: "shape_mismatch" },
    });
  });
});

describe("OpenAI chat completions / HF messages", () => {
  it("every fixture line converts to a valid record", () => {
    lines("openai.jsonl").forEach((_, i) => valid("openai.jsonl", i));
  });

  it("API response fields are accepted, left out and reported; a record without id gets FILE:LINE", () => {
    const { record, dropped } = adapt("openai.jsonl", 0);
    expect(record.id).toBe(`${file("openai.jsonl")}:1`);
    expect(record.persona).toBeNull();
    expect(record.messages[2]).toEqual({ role: "assistant", content: "4" });
    expect(dropped).toEqual(["messages[].refusal", "messages[].annotations", "messages[].audio"]);
  });

  it("content parts are joined exactly; a non-text part is unsupported_content", () => {
    expect(adapt("openai.jsonl", 0).record.messages[1].content).toBe("What is 2 + 2? Answer with a number.");
    expect(adapt("openai.jsonl", 2).record.messages[4].content).toBe("The sum is 32222002938.");
    const refusal = {
      messages: [
        { role: "user", content: "x" },
        { role: "assistant", content: [{ type: "refusal", refusal: "I can't." }] },
      ],
    };
    expect(adaptRecord(refusal, { file: "f", line: 1 })).toMatchObject({
      record: { messages: [{}, { role: "assistant", content: "I can't." }] },
    });
    const image = { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] };
    expect(adaptRecord(image, { file: "f", line: 1 })).toMatchObject({ error: { code: "unsupported_content" } });
  });

  it("a tool message without name gets its call's name; string arguments are kept as written", () => {
    const { record } = adapt("openai.jsonl", 1);
    expect(record.messages[2]).toEqual({
      role: "tool",
      tool_call_id: "call_Ab12",
      name: "get_weather",
      content: '{"temp_c": 3.5, "sky": "snow"}',
    });
    expect(calls(record)[0].function.arguments).toBe('{"city": "Oslo", "unit": "c"}');
  });

  it("reasoning_content / reasoning become thinking; developer messages stay", () => {
    const dev = adapt("openai.jsonl", 2).record;
    expect(dev.messages[0]).toEqual({ role: "developer", content: "Use the add tool for arithmetic." });
    expect(dev.messages[2].thinking).toBe("The user wants a sum; call add.");
    const parallel = adapt("openai.jsonl", 4);
    expect(parallel.record.messages[1].thinking).toBe("Two zones, two calls.");
    expect(parallel.dropped).toContain("messages[].tool_calls[].index");
  });

  it("legacy functions / function_call / role function become tools, a tool call and its result", () => {
    const { record } = adapt("openai.jsonl", 3);
    expect(record.tools?.[0]).toMatchObject({ type: "function", function: { name: "lookup_order" } });
    const [call] = calls(record);
    expect(call).toMatchObject({ type: "function", function: { name: "lookup_order", arguments: '{"order":"A-17"}' } });
    expect(record.messages[2]).toEqual({ role: "tool", tool_call_id: call.id, name: "lookup_order", content: '{"status":"shipped"}' });
  });

  it("other top-level fields are reported as dropped even when meta is not an object (left for validation)", () => {
    const result = adaptRecord(
      {
        id: "m",
        model: "gpt-x",
        usage: {},
        meta: "oops",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "yo" },
        ],
      },
      { file: "f", line: 1 },
    );
    expect(result).toMatchObject({ dropped: ["model", "usage"], record: { meta: "oops" } });
  });

  it("a refusal with no content is the assistant's answer", () => {
    expect(adapt("openai.jsonl", 5).record.messages[1]).toEqual({ role: "assistant", content: "I can't help with that." });
  });

  it("HF calls without id or with flat {name, arguments} get ids, and results are paired in order", () => {
    const { record } = adapt("openai.jsonl", 6);
    const [call] = calls(record);
    expect(call.id).toBe("call_1");
    expect(record.messages[2]).toMatchObject({ role: "tool", tool_call_id: "call_1", name: "search_books" });
    expect(record.tools?.[0].function.name).toBe("search_books");
  });
});

describe("HF thinking sets (Multilingual-Thinking layout)", () => {
  it("thinking stays on the assistant, null thinking elsewhere goes, reasoning_language is kept in meta", () => {
    const { record, dropped } = adapt("thinking.jsonl", 0);
    expect(record.messages[0]).toEqual({ role: "system", content: "reasoning language: French\n\nYou are a helpful assistant." });
    expect(record.messages[2].thinking).toBe("L'utilisateur demande la capitale de l'Italie. C'est Rome.");
    expect(record.meta).toEqual({ reasoning_language: "French" });
    expect(dropped).toEqual([
      "developer (copy of messages)",
      "user (copy of messages)",
      "analysis (copy of messages)",
      "final (copy of messages)",
    ]);
    valid("thinking.jsonl", 0);
    expect(valid("thinking.jsonl", 1).messages[0].role).toBe("developer");
  });

  it("the chain of thought of the last turn is rendered on the analysis channel (hf dialect)", () => {
    const text = renderText(valid("thinking.jsonl", 1), { dialect: "hf" });
    expect(text).toContain("<|channel|>analysis<|message|>91 geteilt durch 7 ist 13, also keine Primzahl.<|end|>");
  });
});

describe("ShareGPT / LLaMA-Factory", () => {
  it("every fixture line converts to a valid record", () => {
    lines("sharegpt.jsonl").forEach((_, i) => valid("sharegpt.jsonl", i));
  });

  it("top-level system comes first; human and gpt turns keep their text", () => {
    const { record } = adapt("sharegpt.jsonl", 0);
    expect(record.messages).toEqual([
      { role: "system", content: "Answer in one line." },
      { role: "user", content: "Name a prime between 10 and 15." },
      { role: "assistant", content: "11 (13 also works)." },
    ]);
  });

  it("function_call and observation become a call and its result; tools given as a JSON string are declared", () => {
    const { record } = adapt("sharegpt.jsonl", 1);
    expect(record.tools?.map((t) => t.function.name)).toEqual(["convert_currency"]);
    expect(calls(record).map((c) => [c.function.name, c.function.arguments])).toEqual([
      ["convert_currency", { amount: 100, from: "USD", to: "EUR" }],
    ]);
    expect(results(record)).toEqual([
      {
        role: "tool",
        tool_call_id: calls(record)[0].id,
        name: "convert_currency",
        content: '{"converted_amount": 92.5, "currency": "EUR"}',
      },
    ]);
  });

  it("a list of calls is answered by the observations that follow, in order", () => {
    const { record } = adapt("sharegpt.jsonl", 2);
    expect(calls(record).map(args)).toEqual([{ sku: 1 }, { sku: 2 }]);
    expect(calls(record)[1].function.arguments).toBe('{"sku": 2}');
    expect(results(record).map((m) => [m.tool_call_id, m.content])).toEqual([
      [calls(record)[0].id, '{"sku": 1, "count": 4}'],
      [calls(record)[1].id, '{"sku": 2, "count": 0}'],
    ]);
  });
});

describe("Hermes function calling", () => {
  it("every fixture line converts to a valid record", () => {
    lines("hermes.jsonl").forEach((_, i) => valid("hermes.jsonl", i));
  });

  it("<tools> become declared tools; the rest of the system prompt stays as written", () => {
    const { record, dropped } = adapt("hermes.jsonl", 0);
    expect(record.tools?.map((t) => t.function.name)).toEqual(["get_stock_price", "get_news"]);
    const system = record.messages[0].content ?? "";
    expect(system).not.toContain("get_stock_price");
    expect(system).toContain("function signatures within <tools></tools> XML tags");
    expect(system).toMatch(/assist with the user query\.\n\nFor each function call/);
    expect(dropped).toEqual(["system <tools> block (declared as tools)", "category", "task"]);
  });

  it("<tool_call> bodies become calls and <tool_response> bodies their results, byte for byte", () => {
    const { record } = adapt("hermes.jsonl", 1);
    expect(record.messages[0].role).toBe("user"); // the system prompt held only <tools>
    expect(record.messages[1].content).toBe("Let me check both cities.");
    expect(calls(record).map((c) => c.function.arguments)).toEqual([{ city: "Paris" }, { city: "Rome" }]);
    expect(results(record).map((m) => [m.tool_call_id, m.name, m.content])).toEqual([
      [calls(record)[0].id, "get_weather", '{"name": "get_weather", "content": "12 C, rain"}'],
      [calls(record)[1].id, "get_weather", '{"name": "get_weather", "content": "21 C, sun"}'],
    ]);
  });

  it("Hermes tags in `messages` with a `tools` column are still Hermes; structured calls make it OpenAI", () => {
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }];
    const hermes = {
      tools,
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: '<tool_call>{"name": "f", "arguments": {}}</tool_call>' },
        { role: "tool", content: "<tool_response>ok</tool_response>" },
        { role: "assistant", content: "done" },
      ],
    };
    expect(detectShape(hermes)).toBe("hermes");
    const converted = adaptRecord(hermes, { file: "f", line: 1 });
    expect("record" in converted && converted.record.tools).toEqual(tools);
    expect(validateRecord("record" in converted ? converted.record : null).ok).toBe(true);
    const openai = {
      messages: [
        { role: "user", content: "say <tool_call>" },
        { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }] },
      ],
    };
    expect(detectShape(openai)).toBe("openai");
  });

  it("bodies written as Python literals (str() of a dict) are read exactly and reported", () => {
    const { record, dropped } = adapt("hermes.jsonl", 2);
    expect(record.tools?.[0].function).toEqual({
      name: "get_stock_fundamentals",
      description: "Fundamentals of a company's stock.",
      parameters: { type: "object", properties: { symbol: { type: "string" }, annual: { type: "boolean" } }, required: ["symbol"] },
    });
    expect(calls(record).map((c) => c.function.arguments)).toEqual([{ symbol: "TSLA", annual: true }]);
    expect(results(record)[0].content).toBe(
      `{"name": "get_stock_fundamentals", "content": {'symbol': 'TSLA', 'pe_ratio': 49.604652, 'dividend_yield': None}}`,
    );
    expect(dropped).toContain("Hermes bodies written as Python literals (read as JSON)");
    valid("hermes.jsonl", 2);
    const literal = (body: string) =>
      adaptRecord(
        {
          conversations: [
            { from: "human", value: "x" },
            { from: "gpt", value: `<tool_call>${body}</tool_call>` },
          ],
        },
        { file: "f", line: 1 },
      );
    expect(literal("{'name': 'f', 'arguments': {'s': 'it\\'s \\u00e9\\n', 'n': -15, 'z': None}}")).toMatchObject({
      record: { messages: [{}, { tool_calls: [{ function: { arguments: { s: "it's é\n", n: -15, z: null } } }] }] },
    });
    for (const bad of [
      "{'name': 'f', 'arguments': {'a': (1, 2)}}",
      "{'name': 'f', 'name': 'g', 'arguments': {}}",
      "{'name': 'f', 'arguments': {'a': 1_000}}",
      "{'name': 'f', 'arguments': {'a': 'open}}",
    ]) {
      expect(literal(bad)).toMatchObject({ error: { code: "malformed_tool_call" } });
    }
  });

  it("Python literals read to exactly the JSON Python writes for them (120 random values made by Python)", () => {
    // test/fixtures/ingest/shapes/make-python-literals.py: repr(value) and json.dumps(value) side by side.
    for (const line of readFileSync(`${DIR}/python-literals.jsonl`, "utf8").trimEnd().split("\n")) {
      const { literal, json } = JSON.parse(line) as { literal: string; json: string };
      const rewritten = pythonLiteralToJson(literal);
      if ("error" in rewritten) throw new Error(`${literal}: ${rewritten.error}`);
      const parsed = parseJsonText(rewritten.json);
      if ("error" in parsed) throw new Error(`${literal}: ${parsed.error.message}`);
      expect(stringifyJson(parsed.value)).toBe(json);
    }
  });

  it("a malformed <tool_call> is a reject with a reason, never a crash", () => {
    const rejects = lines("malformed.jsonl");
    const codeOf = (i: number) => adaptRecord(rejects[i], { file: "r", line: i + 1 });
    expect(codeOf(0)).toMatchObject({
      error: { code: "malformed_tool_call", message: expect.stringContaining("<tool_call> 1 body is neither JSON") },
    });
    expect(codeOf(1)).toMatchObject({ error: { code: "malformed_tool_call", message: "turn 2: <tool_call> without </tool_call>" } });
    expect(codeOf(2)).toMatchObject({ error: { code: "malformed_tool_call", message: expect.stringContaining('"name"') } });
    const stray = {
      conversations: [
        { from: "human", value: "x" },
        { from: "gpt", value: "a </tool_call> b" },
        { from: "tool", value: "<tool_response>1</tool_response>" },
      ],
    };
    expect(adaptRecord(stray, { file: "r", line: 9 })).toMatchObject({ error: { code: "malformed_tool_call" } });
  });
});

describe("xLAM / APIGen", () => {
  it("a query and its answers become a user turn and one assistant message with those calls", () => {
    const { record } = adapt("xlam.jsonl", 1);
    expect(record.id).toBe("1");
    expect(record.messages[0]).toEqual({
      role: "user",
      content: "Average of 3, 5.5 and 10, rounded to 2 places; also is 'racecar' a palindrome?",
    });
    expect(record.messages[1].tool_calls?.map((c) => [c.function.name, c.function.arguments])).toEqual([
      ["average", { numbers: [3, 5.5, 10], places: 2 }],
      ["is_palindrome", { text: "racecar", strict: true }],
    ]);
  });

  it("the parameter map becomes a JSON Schema", () => {
    const [average, palindrome] = adapt("xlam.jsonl", 1).record.tools ?? [];
    expect(average.function.parameters).toEqual({
      type: "object",
      properties: {
        numbers: { type: "array", items: { type: "number" }, description: "The numbers." },
        places: { type: "integer", description: "Decimal places to round to." },
      },
      required: ["numbers"],
    });
    expect(palindrome.function.parameters).toEqual({
      type: "object",
      properties: {
        text: { type: "string", description: "The text." },
        strict: { type: "boolean", description: "Case-sensitive comparison.", default: false },
      },
      required: ["text"],
    });
    expect(pythonType("List[int]")).toEqual({ type: "array", items: { type: "integer" } });
    expect(pythonType("Dict[str, Any]")).toEqual({ type: "object" });
    expect(pythonType("Callable")).toBeUndefined();
  });

  it("ending with a call is invalid by default and valid with allowTrailingCall, rendered ending with <|call|> and trained", () => {
    const { record } = adapt("xlam.jsonl", 0);
    const strict = validateRecord(structuredClone(record));
    expect(strict.ok ? [] : strict.issues.map((i) => i.code)).toEqual(["missing_tool_result", "missing_tool_result", "missing_final"]);
    const allowed = valid("xlam.jsonl", 0, true);
    const text = renderText(allowed);
    expect(
      text.endsWith(
        '<|start|>assistant to=functions.live_giveaways_by_type<|channel|>commentary <|constrain|>json<|message|>{"type":"game"}<|call|>',
      ),
    ).toBe(true);
    const rendered = renderRecord(allowed, { mask: "last-turn" });
    expect(rendered.mask.at(-1)).toBe(1);
    valid("xlam.jsonl", 1, true);
  });

  it("allowTrailingCall accepts only a conversation whose last message is the assistant's call", () => {
    const record = valid("sharegpt.jsonl", 1);
    const noFinal = { ...structuredClone(record), messages: record.messages.slice(0, 3) }; // ends with the tool result
    const check = validateRecord(noFinal, { allowTrailingCall: true });
    expect(check.ok ? [] : check.issues.map((i) => i.code)).toEqual(["missing_final"]);
    const midCall = { ...structuredClone(record), messages: [...record.messages.slice(0, 2), record.messages[3]] }; // call, no result, final
    const mid = validateRecord(midCall, { allowTrailingCall: true });
    expect(mid.ok ? [] : mid.issues.map((i) => i.code)).toEqual(["missing_tool_result"]);
  });
});

describe("lossless where the shape allows", () => {
  it("tool-call arguments and tool results are identical to the source's", () => {
    // Source calls and results, read straight from each fixture's own spelling.
    const hermes = valid("hermes.jsonl", 0);
    expect(calls(hermes).map(args)).toEqual([{ symbol: "TSLA" }]);
    expect(results(hermes).map((m) => m.content)).toEqual(['{"name": "get_stock_price", "content": {"symbol": "TSLA", "price": 191.97}}']);
    const source = lines("openai.jsonl")[4] as {
      messages: { tool_calls?: { function: { arguments: string } }[]; content?: string; role: string }[];
    };
    const record = valid("openai.jsonl", 4);
    expect(calls(record).map(args)).toEqual(source.messages[1].tool_calls?.map((c) => JSON.parse(c.function.arguments)));
    expect(results(record).map((m) => m.content)).toEqual(source.messages.filter((m) => m.role === "tool").map((m) => m.content));
  });

  it("every user, system and assistant text of the source is in the record unchanged", () => {
    for (const name of ["openai.jsonl", "thinking.jsonl", "sharegpt.jsonl"]) {
      lines(name).forEach((value, i) => {
        const texts = JSON.stringify(adapt(name, i).record.messages);
        const source = value as { messages?: { content?: unknown }[]; conversations?: { from: string; value: string }[] };
        for (const m of source.messages ?? []) if (typeof m.content === "string") expect(texts).toContain(JSON.stringify(m.content));
        for (const t of source.conversations ?? []) if (t.from !== "function_call") expect(texts).toContain(JSON.stringify(t.value));
      });
    }
  });
});

describe("embedded JSON is read by the strict parser", () => {
  const xlam = (answers: string, tools: string) => ({ id: 7, query: "q", answers, tools });
  const TOOL = '[{"name": "round_to", "parameters": {"x": {"type": "float"}, "places": {"type": "int, optional", "default": 2}}}]';

  it("a repeated key in xLAM answers or a Hermes <tool_call> body is a reject naming duplicate_key", () => {
    const dup = adaptRecord(xlam('[{"name": "round_to", "arguments": {"x": 1, "x": 2}}]', TOOL), { file: "f", line: 1 });
    expect(dup).toMatchObject({ error: { code: "invalid_embedded_json", message: expect.stringContaining("duplicate_key") } });
    const hermes = {
      conversations: [
        { from: "human", value: "go" },
        { from: "gpt", value: '<tool_call>{"name": "f", "name": "g", "arguments": {}}</tool_call>' },
      ],
    };
    expect(adaptRecord(hermes, { file: "f", line: 2 })).toMatchObject({
      error: { code: "malformed_tool_call", message: expect.stringContaining("duplicate_key") },
    });
    const huge = adaptRecord(xlam('[{"name": "round_to", "arguments": {"x": 1e400}}]', TOOL), { file: "f", line: 3 });
    expect(huge).toMatchObject({ error: { code: "invalid_embedded_json", message: expect.stringContaining("number_out_of_range") } });
  });

  it("numbers in embedded JSON keep their literal through validation, import's output and rendering", () => {
    const adapted = adaptRecord(
      xlam(
        '[{"name": "round_to", "arguments": {"x": 2.50, "places": 12345678901234567890}}]',
        TOOL.replace('"int, optional"', '"float, optional"'),
      ),
      { file: "f", line: 4 },
    );
    if ("error" in adapted) throw new Error(adapted.error.message);
    const line = stringifyJson(adapted.record);
    expect(line).toContain('"arguments":{"x":2.50,"places":12345678901234567890}');
    const checked = validateRecord(adapted.record, { allowTrailingCall: true });
    if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
    expect(renderText(checked.record)).toContain('<|message|>{"x":2.50,"places":12345678901234567890}<|call|>');
  });
});

describe("never a crash", () => {
  it("fixture records with random parts replaced by random JSON convert or are rejected with a reason", () => {
    const random = mulberry32(11);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
    const junk = (): unknown =>
      pick<() => unknown>([
        () => null,
        () => 7,
        () => "",
        () => "<tool_call>",
        () => "</tool_response>",
        () => [],
        () => [null],
        () => ({}),
        () => ({ type: "image_url" }),
        () => true,
        () => '[{"name": 1}]',
      ])();
    const sources = ["openai.jsonl", "thinking.jsonl", "sharegpt.jsonl", "hermes.jsonl", "xlam.jsonl"].flatMap((name) => lines(name));
    /** Replaces one random value somewhere in `value` (a copy). */
    const mutate = (value: unknown): unknown => {
      if (value === null || typeof value !== "object" || random() < 0.25) return junk();
      const copy = structuredClone(value) as Record<string, unknown>;
      const keys = Object.keys(copy);
      if (keys.length === 0) return junk();
      const key = pick(keys);
      copy[key] = mutate(copy[key]);
      return copy;
    };
    let converted = 0;
    let rejected = 0;
    for (let i = 0; i < 3000; i++) {
      const value = mutate(pick(sources));
      for (const shape of ["auto", "openai", "sharegpt", "hermes", "xlam"] as const) {
        const result = adaptRecord(value, { shape, file: "fuzz", line: i + 1 });
        if ("error" in result) {
          rejected++;
          expect(result.error.message.length).toBeGreaterThan(0);
        } else {
          converted++;
          validateRecord(result.record, { allowTrailingCall: true }); // must not throw either
        }
      }
    }
    expect(converted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });
});
