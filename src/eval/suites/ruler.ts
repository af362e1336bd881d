// The ruler suite: RULER's synthetic long-context tasks at the lengths asked, built by code from the
// eval seed through src/longctx (payload and task generators shared with long-context generation,
// drawn from the "eval" seed space, so no eval needle is a training needle) and scored by code
// exactly (src/longctx/answers.ts). As in RULER, the material sits in the user's message.
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { DataError, UsageError } from "../../core/errors.js";
import { GENERATED_KINDS } from "../../longctx/payloads.js";
import { LongRng } from "../../longctx/rng.js";
import { LONG_TASKS, makeLongTask, type LongTaskKind } from "../../longctx/tasks.js";
import { promptTokens } from "../prompt.js";
import { EVAL_DATA_DIR } from "../content.js";
import type { EvalItem } from "../types.js";

interface RulerContent {
  preamble: string;
  reserve: number;
  tasks: LongTaskKind[];
}

/** Tokens that joining the material to the text around it may add (merges at the two seams). */
const SEAM_SLACK = 8;
/** The harmony system message's fields of the frame measurement (the date's length does not vary). */
const FRAME_SETTINGS = { date: "2026-06-15", reasoningEffort: "medium" as const };

function loadRulerContent(dir = EVAL_DATA_DIR): RulerContent {
  const file = join(dir, "ruler.json");
  let v: Partial<RulerContent>;
  try {
    v = JSON.parse(readFileSync(file, "utf8")) as Partial<RulerContent>;
  } catch (err) {
    throw new DataError("bad_eval_content", (err as Error).message, { file });
  }
  if (typeof v.preamble !== "string" || !Number.isInteger(v.reserve) || (v.reserve as number) < 0)
    throw new DataError("bad_eval_content", `needs "preamble" (text) and "reserve" (a token count)`, { file });
  if (!Array.isArray(v.tasks) || v.tasks.length === 0 || v.tasks.some((t) => !(LONG_TASKS as readonly string[]).includes(t)))
    throw new DataError("bad_eval_content", `"tasks" must list some of ${LONG_TASKS.join(", ")}`, { file });
  return v as RulerContent;
}

export const rulerUserText = (preamble: string, material: string, question: string): string => `${preamble}\n\n${material}\n\n${question}`;

/** `samples` items per task and length; the payload fills the length less the question, the frame and the answer reserve. */
export function rulerItems(seed: string, lengths: number[], samples: number, tasks: string[] | null = null): EvalItem[] {
  const content = loadRulerContent();
  for (const t of tasks ?? [])
    if (!content.tasks.includes(t as LongTaskKind)) throw new UsageError(`unknown ruler task "${t}"; known: ${content.tasks.join(", ")}`);
  const items: EvalItem[] = [];
  for (const task of content.tasks.filter((t) => tasks === null || tasks.includes(t))) {
    for (const length of lengths) {
      for (let i = 0; i < samples; i++) {
        const itemSeed = `${seed}/${task}/${length}/${i}`;
        const payloadKind = new LongRng("eval-ruler-payload", itemSeed).pick(GENERATED_KINDS);
        // The question's length does not depend on the payload's: ask a small one first to measure it.
        const probe = makeLongTask({ task, payload: payloadKind, targetTokens: 256, seed: itemSeed, seedSpace: "eval" });
        // The whole prompt but the material: harmony system message, user message, open analysis header.
        const frame =
          promptTokens(null, [{ role: "user", content: rulerUserText(content.preamble, "", probe.question) }], FRAME_SETTINGS, "analysis")
            .length + SEAM_SLACK;
        const target = length - content.reserve - frame;
        if (target < 256)
          throw new DataError(
            "length_too_short",
            `ruler length ${length} leaves ${target} tokens for the material after the answer reserve (${content.reserve}) and the ` +
              `question; ask lengths of at least ${content.reserve + frame + 256}`,
            { file: join(EVAL_DATA_DIR, "ruler.json") },
          );
        const long = makeLongTask({ task, payload: payloadKind, targetTokens: target, seed: itemSeed, seedSpace: "eval" });
        items.push({
          id: `ruler/${task}/${length}/${i}`,
          suite: "ruler",
          persona: null,
          messages: [{ role: "user", content: rulerUserText(content.preamble, long.payload.text, long.question) }],
          expected: long.expected_answers,
          meta: {
            task,
            length,
            prompt_id: `${task}/${i}`,
            source: `longctx:eval:${payloadKind}`,
            payload: payloadKind,
            payload_tokens: long.payload.tokens,
            facts: long.facts,
          },
        });
      }
    }
  }
  return items;
}
