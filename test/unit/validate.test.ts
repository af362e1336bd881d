import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { mulberry32 } from "../../src/core/prng.js";
import { PERSONAS } from "../../src/core/record.js";
import {
  createValidator,
  REASON_CODES as ALL_REASON_CODES,
  validateFiles,
  validateRecord,
  type FileValidationEvent,
} from "../../src/validate/index.js";

// invalid.jsonl has one line per code a record can get from validate; the text-export codes
// (datagen export --to harmony-text) are given by export only.
const EXPORT_ONLY = ["special_token_text", "text_roundtrip_mismatch"];
const REASON_CODES = ALL_REASON_CODES.filter((c) => !EXPORT_ONLY.includes(c));
import { conversationValidator, parametersCacheSize, PARAMETERS_CACHE_SIZE, sameJson } from "../../src/validate/schemas.js";

const EXAMPLES = "data/examples/conversations.jsonl";
const INVALID = "data/examples/invalid.jsonl";
const work = mkdtempSync(join(tmpdir(), "datagen-validate-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const exampleLines = readFileSync(EXAMPLES, "utf8").trimEnd().split("\n");
const example = (i: number): ConversationRecord => JSON.parse(exampleLines[i]) as ConversationRecord;

async function collect(paths: string[], maxLineBytes?: number): Promise<FileValidationEvent[]> {
  const events: FileValidationEvent[] = [];
  for await (const event of validateFiles(paths, { maxLineBytes })) events.push(event);
  return events;
}

function codes(value: unknown): string[] {
  const result = validateRecord(value);
  return result.ok ? [] : result.issues.map((i) => i.code);
}

/** A small valid record with one tool call, for edits. */
function weatherRecord(): ConversationRecord {
  return JSON.parse(exampleLines[0]) as ConversationRecord;
}

describe("valid examples", () => {
  it("every example record is valid and the examples cover all 9 personas and null", async () => {
    const events = await collect([EXAMPLES]);
    expect(events).toHaveLength(12);
    for (const e of events) expect(e.ok ? "ok" : JSON.stringify(e.issues)).toBe("ok");
    const personas = new Set(events.map((e) => (e.ok ? e.record.persona : "invalid")));
    expect([...personas].sort()).toEqual([...PERSONAS, null].sort());
  });

  it("compiles the record schema once per process", () => {
    expect(conversationValidator()).toBe(conversationValidator());
  });
});

describe("every reason code, with its line number", () => {
  it("invalid.jsonl line N triggers exactly the N-th reason code (line 3 needs --max-line-bytes 4096)", async () => {
    const events = await collect([INVALID], 4096);
    expect(events.map((e) => e.line)).toEqual(REASON_CODES.map((_, i) => i + 1));
    for (const [i, event] of events.entries()) {
      expect(event.ok).toBe(false);
      if (event.ok) continue;
      expect({ line: event.line, codes: event.issues.map((x) => x.code) }).toEqual({ line: i + 1, codes: [REASON_CODES[i]] });
    }
  });

  it("with the default limit the long line is a valid record and the rest keep their line numbers", async () => {
    const events = await collect([INVALID]);
    expect(events[2]).toMatchObject({ line: 3, ok: true });
    expect(events[20]).toMatchObject({ line: 21, ok: false });
  });

  it("counts blank lines and keeps going after malformed JSON", async () => {
    const file = join(work, "blank-lines.jsonl");
    writeFileSync(file, `${exampleLines[0]}\n\n{"id": oops}\r\n   \n${exampleLines[1]}\r\n`);
    const events = await collect([file]);
    expect(events.map((e) => [e.line, e.ok])).toEqual([
      [1, true],
      [3, false],
      [5, true],
    ]);
  });
});

describe("semantic rules", () => {
  it("accepts arguments as a JSON string or an object and normalizes strings to objects", () => {
    const asObject = weatherRecord();
    const asString = weatherRecord();
    const call = asString.messages[2].tool_calls![0];
    call.function.arguments = JSON.stringify(call.function.arguments);
    const a = validateRecord(asObject);
    const b = validateRecord(asString);
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(b.record.messages[2].tool_calls![0].function.arguments).toEqual({ city: "Oslo" });
    expect(b.record).toEqual(a.record);
  });

  it("leaves the input untouched when the record is invalid", () => {
    const record = weatherRecord();
    record.messages[2].tool_calls![0].function.arguments = '{"city": "Oslo"}';
    record.messages.push({ role: "user", content: "bye" });
    expect(codes(record)).toEqual(["missing_final"]);
    expect(record.messages[2].tool_calls![0].function.arguments).toBe('{"city": "Oslo"}');
  });

  it("reports argument errors at their path inside nested objects and arrays", () => {
    const record = example(3); // create_calendar_event with attendees[] and reminder{}
    const args = record.messages[2].tool_calls![0].function.arguments as Record<string, any>;
    delete args.attendees[1].email;
    args.reminder.method = "pigeon";
    const result = validateRecord(record);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.issues.map((i) => [i.code, i.path]);
    expect(paths).toContainEqual(["invalid_arguments", "/messages/2/tool_calls/0/function/arguments/attendees/1"]);
    expect(paths).toContainEqual(["invalid_arguments", "/messages/2/tool_calls/0/function/arguments/reminder/method"]);
    expect(result.issues[0].message).toContain("create_calendar_event");
  });

  it("a tool without parameters takes only an empty arguments object", () => {
    const record = example(5); // get_current_time has no parameters
    expect(codes(record)).toEqual([]);
    (record.messages[4].tool_calls![0].function as { arguments: unknown }).arguments = { tz: "UTC" };
    expect(codes(record)).toEqual(["invalid_arguments"]);
  });

  it("tool results: missing at the end, extra with nothing pending, non-object argument strings", () => {
    const cut = weatherRecord();
    cut.messages.splice(3);
    expect(codes(cut)).toEqual(["missing_tool_result", "missing_final"]);
    const extra = weatherRecord();
    extra.messages.splice(1, 0, { role: "tool", tool_call_id: "call_9", name: "get_weather", content: "{}" });
    expect(codes(extra)).toEqual(["extra_tool_result"]);
    const arrayArgs = weatherRecord();
    arrayArgs.messages[2].tool_calls![0].function.arguments = "[1, 2]";
    expect(codes(arrayArgs)).toEqual(["invalid_arguments_json"]);
  });

  it("persona must match the system message; persona null allows a non-persona system message", () => {
    const noSystem = weatherRecord();
    noSystem.messages.shift();
    expect(codes(noSystem)).toEqual(["persona_mismatch"]);
    const nullWithPersona = weatherRecord();
    nullWithPersona.persona = null;
    expect(codes(nullWithPersona)).toEqual(["persona_mismatch"]);
    const nullWithPlainSystem = weatherRecord();
    nullWithPlainSystem.persona = null;
    nullWithPlainSystem.messages[0].content = "You are a concise assistant.";
    expect(codes(nullWithPlainSystem)).toEqual([]);
  });

  it("an assistant turn with only thinking is not empty, but cannot be the final answer", () => {
    const record = weatherRecord();
    record.messages.push({ role: "assistant", thinking: "Done." });
    expect(codes(record)).toEqual(["missing_final"]);
  });

  it("rejects a non-object line with a schema error and no id", () => {
    const result = validateRecord([1, 2]);
    expect(result).toMatchObject({ ok: false, id: undefined, issues: [{ code: "schema_violation", path: "/" }] });
  });
});

describe("runs", () => {
  it("catches duplicate record ids across files and names the first location", async () => {
    const a = join(work, "a.jsonl");
    const b = join(work, "b.jsonl");
    writeFileSync(a, exampleLines.slice(0, 2).join("\n") + "\n");
    writeFileSync(b, exampleLines[1] + "\n");
    const events = await collect([a, b]);
    const last = events[2];
    expect(last.ok).toBe(false);
    if (last.ok) return;
    expect(last.issues).toEqual([expect.objectContaining({ code: "duplicate_record_id", message: expect.stringContaining(`${a}:2`) })]);
  });

  it("a validator session counts distinct ids", () => {
    const v = createValidator();
    v.check(example(0));
    v.check(example(1));
    expect(v.check(example(0)).ok).toBe(false);
    expect(v.idCount).toBe(2);
  });

  it("a tool name whose schema changes between records is checked against each record's own schema", () => {
    const first = weatherRecord();
    expect(validateRecord(first).ok).toBe(true);
    const second = weatherRecord();
    second.id = "changed-schema";
    (second.tools![0].function.parameters as { required: string[] }).required = ["city", "unit"];
    expect(codes(second)).toEqual(["invalid_arguments"]);
    expect(validateRecord(weatherRecord()).ok).toBe(true);
  });

  it("sameJson ignores key order but not array order, counts or types", () => {
    expect(sameJson({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false);
    expect(sameJson({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(sameJson({ a: "1" }, { a: 1 })).toBe(false);
    expect(sameJson([], {})).toBe(false);
  });

  it("keeps the compiled tool-parameter cache bounded", () => {
    for (let i = 0; i < PARAMETERS_CACHE_SIZE + 20; i++) {
      const record = weatherRecord();
      record.id = `cache-${i}`;
      const params = record.tools![0].function.parameters as { properties: Record<string, unknown> };
      params.properties[`extra_${i}`] = { type: "integer" };
      expect(validateRecord(record).ok).toBe(true);
    }
    expect(parametersCacheSize()).toBeLessThanOrEqual(PARAMETERS_CACHE_SIZE);
    expect(parametersCacheSize()).toBeGreaterThan(PARAMETERS_CACHE_SIZE / 2);
  });
});

describe("properties", () => {
  // Seeded so failures reproduce.
  const rng = mulberry32;
  function shuffle<T>(items: T[], random: () => number): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
  /** Same JSON value with every object's keys in a random order. */
  function shuffleKeys(value: unknown, random: () => number): unknown {
    if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(shuffle(Object.entries(value), random).map(([k, v]) => [k, shuffleKeys(v, random)]));
  }

  it("shuffling the valid records (and their keys) keeps every one valid, 20 permutations", async () => {
    const random = rng(20251126);
    let checked = 0;
    for (let round = 0; round < 20; round++) {
      const file = join(work, `shuffled-${round}.jsonl`);
      const lines = shuffle(exampleLines, random).map((l) => JSON.stringify(shuffleKeys(JSON.parse(l), random)));
      writeFileSync(file, lines.join("\n") + "\n");
      for (const event of await collect([file])) {
        expect(event.ok).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(20 * exampleLines.length);
  });

  it("validating a normalized record again gives the same record", () => {
    for (let i = 0; i < exampleLines.length; i++) {
      const first = validateRecord(example(i));
      expect(first.ok).toBe(true);
      if (!first.ok) continue;
      const again = validateRecord(structuredClone(first.record));
      expect(again).toEqual(first);
    }
  });
});
