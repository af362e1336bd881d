// Deterministic synthetic conversation corpus for benchmarks (no model): multi-turn persona
// tool-calling records in our JSONL format, with lognormal lengths (median ~500 tokens, long tail
// to ~30k), thinking, tool calls and results, and text in several languages and code.
//
//   npx tsx bench/corpus/generate.ts --out /tmp/corpus.jsonl --count 50000 [--seed 1]
//   npx tsx bench/corpus/generate.ts --out /tmp/big.jsonl --bytes 1000000000
import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import { mulberry32 } from "../../src/core/prng.js";
import { PERSONAS, type ConversationRecord, type Message, type ToolDefinition } from "../../src/core/record.js";

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
function gaussian(r: Rand): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

// Words per language and roughly how many characters make one o200k token in it.
const LANGUAGES: { words: string[]; join: string; charsPerToken: number; weight: number }[] = [
  {
    weight: 50,
    join: " ",
    charsPerToken: 4.4,
    words:
      "the weather report shows light rain over the city while commuters plan their routes carefully because schedules change often and every traveler wants reliable information about trains buses flights prices hotels museums opening hours recipes budgets invoices meetings deadlines and the quiet details that make a day work".split(
        " ",
      ),
  },
  {
    weight: 8,
    join: " ",
    charsPerToken: 3.6,
    words:
      "le temps sera nuageux demain matin mais les trains partiront à l'heure et nous pourrons visiter le musée avant le déjeuner avec quelques amis qui aiment la cuisine française et les promenades au bord de la rivière".split(
        " ",
      ),
  },
  {
    weight: 8,
    join: " ",
    charsPerToken: 3.8,
    words:
      "das Wetter bleibt morgen wechselhaft aber die Züge fahren pünktlich und wir besuchen nach dem Frühstück das Museum während die Kollegen den Bericht über die Rechnungen und Termine fertigstellen".split(
        " ",
      ),
  },
  {
    weight: 8,
    join: " ",
    charsPerToken: 3.9,
    words:
      "el tiempo será soleado por la tarde y los vuelos saldrán puntuales así que podemos reservar el hotel cerca de la estación y cenar con calma después de la reunión de trabajo".split(
        " ",
      ),
  },
  {
    weight: 6,
    join: " ",
    charsPerToken: 3.0,
    words:
      "погода завтра будет облачной но поезда пойдут по расписанию и мы успеем посетить музей перед обедом а потом обсудим отчёт и бюджет на следующий месяц".split(
        " ",
      ),
  },
  {
    weight: 6,
    join: "",
    charsPerToken: 1.3,
    words: "明天 的 天气 多云 但是 火车 会 准时 出发 我们 可以 在 午饭 前 参观 博物馆 然后 讨论 下个月 的 预算 和 会议 安排".split(" "),
  },
  {
    weight: 5,
    join: "",
    charsPerToken: 1.2,
    words:
      "明日 の 天気 は 曇り ですが 電車 は 時間 通り に 出発 します 昼食 の 前 に 美術館 を 訪れて 来月 の 予算 と 会議 に ついて 話し合い ましょう".split(
        " ",
      ),
  },
  {
    weight: 9,
    join: "\n",
    charsPerToken: 3.2,
    words: [
      "def total(items):",
      "    return sum(i.price * i.qty for i in items)",
      "const rows = await db.query(sql, [id]);",
      "if (!response.ok) throw new Error(`HTTP ${response.status}`);",
      "for (let i = 0; i < n; i++) acc += xs[i];",
      "SELECT city, AVG(temp_c) FROM readings GROUP BY city;",
      "    assert result == expected, result",
      "export function parse(line: string): Row {",
      "}",
      '  "timeout_ms": 2500,',
    ],
  },
];
const LANGUAGE_WEIGHT = LANGUAGES.reduce((s, l) => s + l.weight, 0);

function language(r: Rand) {
  let x = r() * LANGUAGE_WEIGHT;
  for (const l of LANGUAGES) if ((x -= l.weight) < 0) return l;
  return LANGUAGES[0];
}

/** About `tokens` tokens of text in one language. */
function text(r: Rand, tokens: number, lang = language(r)): string {
  const chars = Math.max(8, Math.round(tokens * lang.charsPerToken));
  const parts: string[] = [];
  let length = 0;
  let sentence = 0;
  while (length < chars) {
    const w = pick(r, lang.words);
    const word = sentence === 0 && lang.join === " " ? w[0].toUpperCase() + w.slice(1) : w;
    parts.push(word);
    length += word.length + lang.join.length;
    sentence++;
    if (lang.join === " " && sentence > int(r, 6, 18)) {
      parts[parts.length - 1] += pick(r, [".", ".", "?", "!", ","]);
      sentence = 0;
    }
  }
  return parts.join(lang.join);
}

const TOOLS: ToolDefinition[] = [
  fn(
    "get_weather",
    "Current weather for a city.",
    {
      city: { type: "string", description: "City name, e.g. Oslo" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"], default: "celsius" },
    },
    ["city"],
  ),
  fn(
    "search_web",
    "Searches the web and returns snippets.",
    { query: { type: "string" }, max_results: { type: "integer", minimum: 1, maximum: 10 } },
    ["query"],
  ),
  fn("read_file", "Reads a text file from the workspace.", { path: { type: "string" } }, ["path"]),
  fn("run_sql", "Runs a read-only SQL query.", { query: { type: "string" }, limit: { type: "integer", minimum: 1, maximum: 1000 } }, [
    "query",
  ]),
  fn(
    "convert_currency",
    "Converts an amount between currencies.",
    {
      amount: { type: "number" },
      from: { type: "string", enum: ["EUR", "USD", "NOK", "JPY"] },
      to: { type: "string", enum: ["EUR", "USD", "NOK", "JPY"] },
    },
    ["amount", "from", "to"],
  ),
  fn(
    "create_event",
    "Creates a calendar event.",
    {
      title: { type: "string" },
      date: { type: "string", description: "YYYY-MM-DD" },
      attendees: { type: "array", items: { type: "string" } },
    },
    ["title", "date"],
  ),
];

function fn(name: string, description: string, properties: Record<string, unknown>, required: string[]): ToolDefinition {
  return { type: "function", function: { name, description, parameters: { type: "object", properties, required } } };
}

function argumentsFor(r: Rand, name: string): Record<string, unknown> {
  switch (name) {
    case "get_weather":
      return { city: pick(r, ["Oslo", "Lisbon", "Kyoto", "Lima", "Berlin"]), ...(r() < 0.3 ? { unit: "fahrenheit" } : {}) };
    case "search_web":
      return { query: text(r, int(r, 4, 12)), max_results: int(r, 1, 10) };
    case "read_file":
      return { path: pick(r, ["src/main.ts", "logs/app.log", "README.md", "data/report.csv"]) };
    case "run_sql":
      return { query: "SELECT * FROM orders WHERE total > 100", limit: int(r, 1, 1000) };
    case "convert_currency":
      return { amount: int(r, 1, 5000), from: "EUR", to: pick(r, ["USD", "NOK", "JPY"]) };
    default:
      return { title: text(r, 4), date: `2025-0${int(r, 1, 9)}-1${int(r, 0, 9)}`, attendees: ["ana", "bo"] };
  }
}

/** Target length in tokens: lognormal, median ~500, capped at ~30k. */
function targetTokens(r: Rand): number {
  return Math.min(30_000, Math.max(60, Math.round(Math.exp(Math.log(500) + 1.05 * gaussian(r)))));
}

export function conversation(index: number, seed: number): ConversationRecord {
  const r = mulberry32((seed * 2654435761) ^ (index * 40503) ^ 0x9e3779b9);
  const persona = r() < 0.9 ? pick(r, PERSONAS) : null;
  const tools = TOOLS.filter(() => r() < 0.45);
  const budget = targetTokens(r);
  const turns = Math.max(1, Math.min(8, Math.round(budget / 700) + int(r, 0, 2)));
  const perTurn = budget / turns;
  const messages: Message[] = persona ? [{ role: "system", content: `Persona: ${persona}` }] : [];
  let callNo = 0;
  for (let t = 0; t < turns; t++) {
    messages.push({ role: "user", content: text(r, Math.max(5, perTurn * 0.15)) });
    if (tools.length > 0 && r() < 0.6) {
      const calls = Array.from({ length: int(r, 1, 3) }, () => {
        const tool = pick(r, tools).function.name;
        return { id: `call_${++callNo}`, type: "function" as const, function: { name: tool, arguments: argumentsFor(r, tool) } };
      });
      messages.push({ role: "assistant", thinking: text(r, Math.max(5, perTurn * 0.1)), tool_calls: calls });
      for (const call of calls) {
        const body =
          call.function.name === "read_file" || call.function.name === "run_sql"
            ? text(r, perTurn * 0.4, LANGUAGES[7])
            : text(r, perTurn * 0.15);
        messages.push({
          role: "tool",
          tool_call_id: call.id,
          name: call.function.name,
          content: JSON.stringify({ ok: true, result: body }),
        });
      }
    }
    const final: Message = { role: "assistant", content: text(r, Math.max(5, perTurn * 0.35)) };
    if (r() < 0.5) final.thinking = text(r, Math.max(5, perTurn * 0.1));
    messages.push(final);
  }
  const id = `${persona ?? "general"}-${String(index).padStart(7, "0")}`;
  const date = `2025-${String(int(r, 1, 12)).padStart(2, "0")}-${String(int(r, 1, 28)).padStart(2, "0")}`;
  return {
    id,
    persona,
    ...(tools.length > 0 ? { tools } : {}),
    messages,
    meta: { seed, scenario: "bench", date, reasoning_effort: pick(r, ["low", "medium", "high"] as const) },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: "string" }, count: { type: "string" }, bytes: { type: "string" }, seed: { type: "string", default: "1" } },
  });
  if (!values.out || (!values.count && !values.bytes)) throw new Error("usage: generate.ts --out FILE (--count N | --bytes B) [--seed S]");
  const count = values.count ? Number(values.count) : Infinity;
  const maxBytes = values.bytes ? Number(values.bytes) : Infinity;
  const seed = Number(values.seed);
  const out = createWriteStream(values.out);
  let bytes = 0;
  let n = 0;
  for (; n < count && bytes < maxBytes; n++) {
    const line = JSON.stringify(conversation(n, seed)) + "\n";
    bytes += Buffer.byteLength(line);
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  process.stderr.write(`wrote ${n} conversations, ${bytes} bytes to ${values.out}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
