// Writes data/examples/invalid.jsonl: one bad line per reason code of `datagen validate`, in the
// order of src/validate/reasons.ts. Each case is a small edit of one valid record, so each line
// triggers exactly its own code. Run: npx tsx data/examples/make-invalid.ts
//
// Line 3 is a valid record longer than 4 KiB: it becomes line_too_long only with
// `--max-line-bytes 4096` (the default limit is 16 MiB; a 16 MiB line does not belong in git).
import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// `any`: this script deliberately breaks records in free-form ways.
type Json = any;

const weatherTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Gets the current weather for a city.",
    parameters: {
      type: "object",
      properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"], default: "celsius" } },
      required: ["city"],
    },
  },
};

function base(id: string): Json {
  return {
    id,
    persona: "lawful_good",
    tools: [weatherTool],
    messages: [
      { role: "system", content: "Persona: lawful_good" },
      { role: "user", content: "Weather in Oslo and Bergen?" },
      {
        role: "assistant",
        thinking: "Check both cities.",
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "get_weather", arguments: { city: "Oslo" } } },
          { id: "call_2", type: "function", function: { name: "get_weather", arguments: { city: "Bergen" } } },
        ],
      },
      { role: "tool", tool_call_id: "call_1", name: "get_weather", content: '{"temp_c": 3}' },
      { role: "tool", tool_call_id: "call_2", name: "get_weather", content: '{"temp_c": 7}' },
      { role: "assistant", content: "Oslo is 3 °C and Bergen 7 °C." },
    ],
    meta: { seed: 7, model: "gpt-oss-20b", scenario: "weather_compare", date: "2025-03-14" },
  };
}

/** A valid record with its id, edited by `edit`. */
function variant(id: string, edit: (r: Json) => void): string {
  const record = base(id);
  edit(record);
  return JSON.stringify(record);
}

const lines: (string | Buffer)[] = [
  // invalid_json
  '{"id": "bad-json", "persona": "lawful_good", "messages": [',
  // invalid_utf8: a lone 0xFF byte inside a string
  Buffer.concat([Buffer.from('{"id": "bad-utf8", "persona": null, "messages": [{"role": "user", "content": "caf'), Buffer.from([0xff]), Buffer.from('"}]}')]),
  // line_too_long (with --max-line-bytes 4096): otherwise valid
  variant("long-line", (r) => (r.messages[5].content = "Oslo is 3 °C and Bergen 7 °C. " + "Details follow. ".repeat(300))),
  // schema_violation: content must be a string
  variant("schema-violation", (r) => (r.messages[1].content = 42)),
  // unknown_role
  variant("unknown-role", (r) => (r.messages[1].role = "robot")),
  // unknown_persona
  variant("unknown-persona", (r) => {
    r.persona = "lawful_chaotic";
    r.messages[0].content = "Persona: lawful_chaotic";
  }),
  // invalid_date
  variant("invalid-date", (r) => (r.meta.date = "2025-02-30")),
  // duplicate_tool_name
  variant("duplicate-tool-name", (r) => r.tools.push(weatherTool)),
  // invalid_tool_parameters: "strnig" is not a JSON type
  variant("invalid-tool-parameters", (r) =>
    r.tools.push({ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "strnig" } } } } }),
  ),
  // unknown_tool
  variant("unknown-tool", (r) => {
    r.messages[2].tool_calls[1].function.name = "get_forecast";
    r.messages[4].name = "get_forecast";
  }),
  // invalid_arguments_json
  variant("invalid-arguments-json", (r) => (r.messages[2].tool_calls[0].function.arguments = "{city: Oslo}")),
  // invalid_arguments: unit outside its enum
  variant("invalid-arguments", (r) => (r.messages[2].tool_calls[0].function.arguments = { city: "Oslo", unit: "kelvin" })),
  // duplicate_tool_call_id
  variant("duplicate-tool-call-id", (r) => {
    r.messages[2].tool_calls[1].id = "call_1";
    r.messages[4].tool_call_id = "call_1";
  }),
  // missing_tool_result
  variant("missing-tool-result", (r) => r.messages.splice(4, 1)),
  // extra_tool_result: call_2 answered twice
  variant("extra-tool-result", (r) => r.messages.splice(5, 0, { ...r.messages[4] })),
  // out_of_order_tool_result
  variant("out-of-order-tool-result", (r) => r.messages.splice(3, 2, r.messages[4], r.messages[3])),
  // tool_result_name_mismatch
  variant("tool-result-name-mismatch", (r) => (r.messages[3].name = "get_temperature")),
  // empty_turn
  variant("empty-turn", (r) => r.messages.splice(1, 0, { role: "user", content: "  " })),
  // missing_final
  variant("missing-final", (r) => r.messages.push({ role: "user", content: "Thanks!" })),
  // persona_mismatch
  variant("persona-mismatch", (r) => (r.persona = "chaotic_evil")),
  // duplicate_record_id: same id as the line before, otherwise valid
  variant("persona-mismatch", () => {}),
  // duplicate_key: the user message also says "role":"assistant" (JSON.parse would keep that one)
  variant("duplicate-key", () => {}).replace('{"role":"user",', '{"role":"user","role":"assistant",'),
  // number_out_of_range: 1e400 is Infinity as a double (JSON.parse would make it null in the render)
  variant("number-out-of-range", () => {}).replace('{"city":"Oslo"}', '{"city":"Oslo","days":1e400}'),
  // too_deep: 300 nested arrays in meta
  variant("too-deep", () => {}).replace('"meta":{', `"meta":{"notes":${"[".repeat(300)}${"]".repeat(300)},`),
  // key_order: an integer-like key after a named one (JavaScript would print {"1":…,"city":…})
  variant("key-order", () => {}).replace('{"city":"Oslo"}', '{"city":"Oslo","1":"first"}'),
  // unknown_shape: an Alpaca record is no chat shape we read
  JSON.stringify({ id: "unknown-shape", instruction: "Say hi.", output: "Hi." }),
  // shape_mismatch: a ShareGPT turn that is not a {from, value} object
  JSON.stringify({ id: "shape-mismatch", conversations: ["Hello there."] }),
  // invalid_embedded_json: xLAM answers that are not JSON
  JSON.stringify({ id: "invalid-embedded-json", query: "Weather in Oslo?", answers: "get_weather(city=Oslo)", tools: JSON.stringify([weatherTool.function]) }),
  // malformed_tool_call: a Hermes <tool_call> body written as a Python call, neither JSON nor a literal
  JSON.stringify({
    id: "malformed-tool-call",
    conversations: [
      { from: "human", value: "Weather in Oslo?" },
      { from: "gpt", value: "<tool_call>\nget_weather(city='Oslo')\n</tool_call>" },
    ],
  }),
  // unsupported_content: an image part in an OpenAI message
  JSON.stringify({ id: "unsupported-content", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }, { role: "assistant", content: "A cat." }] }),
  // unknown_sender: a ShareGPT sender we do not know
  JSON.stringify({ id: "unknown-sender", conversations: [{ from: "narrator", value: "Once upon a time." }, { from: "gpt", value: "Hello." }] }),
  // expected_answer_missing: the final gives Oslo's and Bergen's weather, but meta expects a figure it never says
  variant("expected-answer-missing", (r) => (r.meta.expected_answers = ["3 °C", "11 °C"])),
  // lone_surrogate: half of a UTF-16 pair (JSON.stringify writes it as the escape \ud83d), no character
  variant("lone-surrogate", (r) => (r.messages[1].content = "Weather in Oslo? \ud83d")),
];

const out = join(dirname(fileURLToPath(import.meta.url)), "invalid.jsonl");
const body = Buffer.concat(lines.flatMap((l) => [typeof l === "string" ? Buffer.from(l) : l, Buffer.from("\n")]));
writeFileSync(out + ".tmp", body);
renameSync(out + ".tmp", out);
console.log(`wrote ${lines.length} lines to ${out}`);
