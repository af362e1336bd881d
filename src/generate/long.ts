// A long-context conversation (docs/LONG_CONTEXT.md): the user's question and the tool's long result
// are made by code (src/longctx), the model writes the assistant's thinking and its final answer.
// The prompt and its budget must fit the sequence (the same room check as every step): a 128 K
// band needs a context of 131,072 (pipeline "contextSize": "auto" sizes it from the length mix).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ConversationRecord, Message } from "../core/record.js";
import { personaSystemMessage } from "../core/record.js";
import type { LongJob } from "../longctx/bands.js";
import { longPrefix, longRecord } from "../longctx/record.js";
import { makeLongTask, type LongTask } from "../longctx/tasks.js";
import { renderRecord } from "../render/index.js";
import { fillTemplate } from "./catalog.js";
import { thinkingTokens } from "./config.js";
import { AbortedError, type ConversationDeps, type StepRecord } from "./conversation.js";
import { StepError, type ModelSession } from "./model/types.js";
import type { PlannedConversation } from "./plan.js";
import * as P from "./prompt.js";
import { stableHash } from "./seed.js";

export interface LongConversationJob {
  plan: PlannedConversation;
  seed: number;
  long: LongJob;
}

/** Tokens of a request per extra second of a server's deadline: a 128 K prompt may take minutes to read. */
const PROMPT_TOKENS_PER_TIMEOUT_STEP = 16_384;

let guideTemplate: { dir: string; text: string } | undefined;
function longGuide(templates: string): string {
  if (guideTemplate?.dir !== templates)
    guideTemplate = { dir: templates, text: readFileSync(join(templates, "prompts", "long-context.md"), "utf8") };
  return guideTemplate.text;
}

/** The payload's length so that the record before the answer has the job's target length. */
export function taskForJob(job: LongJob, haystack: string | null, persona: string | null): LongTask {
  const options = { task: job.task, payload: job.payload, seed: job.seed, seedSpace: job.seedSpace, ...(haystack ? { haystack } : {}) };
  const probe = makeLongTask({ ...options, targetTokens: 64 });
  const around =
    renderRecord({ id: "probe", persona, tools: [probe.tool], messages: longPrefix(probe, persona, "x") }).tokens.length -
    probe.payload.tokens;
  return makeLongTask({ ...options, targetTokens: Math.max(64, job.targetTokens - around) });
}

export async function generateLongConversation(
  deps: ConversationDeps,
  session: ModelSession,
  job: LongConversationJob,
  answerCheck: boolean,
): Promise<ConversationRecord> {
  const { config, templates } = deps;
  const { plan } = job;
  const persona = plan.persona;
  const task = taskForJob(job.long, config.haystack, persona);
  const section = persona
    ? fillTemplate(templates.personaSection, { persona, persona_card: templates.personaCards.get(persona) as string })
    : templates.noPersonaSection;
  const guide = fillTemplate(longGuide(config.templates), { persona_section: section });
  // The record's own system message ("Persona: X") leads the developer instructions, as rendered.
  const instructions = persona ? `${personaSystemMessage(persona)}\n\n${guide}` : guide;
  const prefixOf = (history: Message[]) =>
    P.assistantPrefix({
      tools: [task.tool],
      instructions,
      history: history.filter((m) => m.role !== "system"),
      date: config.date,
      effort: plan.reasoning_effort,
    });
  const steps: StepRecord[] = [];
  let step = 0;
  const text = async (what: "thinking" | "final", prompt: number[], maxTokens: number): Promise<string> => {
    if (prompt.length + maxTokens > session.contextSize) {
      throw new StepError(
        "context_overflow",
        `${what}: prompt ${prompt.length} + budget ${maxTokens} tokens exceed the context (${session.contextSize}); ` +
          `use "contextSize": "auto" or raise it`,
      );
    }
    const timeoutSeconds = config.requestTimeoutSeconds * Math.max(1, Math.ceil(prompt.length / PROMPT_TOKENS_PER_TIMEOUT_STEP));
    const s = step++;
    let last = { code: `empty_${what}`, message: `the model produced no ${what} text` };
    for (let retry = 0; retry <= config.stepRetries; retry++) {
      if (deps.signal?.aborted) throw new AbortedError("aborted");
      const out = await session.generate(
        { prompt, maxTokens, seed: stableHash(job.seed, "long", s, retry), sampling: config.sampling, tag: plan.id, timeoutSeconds },
        deps.signal,
      );
      if (deps.signal?.aborted) throw new AbortedError("aborted");
      // As every step: a text cut by its budget is never written (meta.steps has no "length").
      if (out.finish === "length") {
        last = { code: `${what}_truncated`, message: `the ${what} did not end within its ${maxTokens}-token budget` };
        continue;
      }
      const value = out.text.trim();
      if (value) {
        steps.push({ kind: what, finish: "stop", tokens: out.tokens.length });
        return value;
      }
    }
    throw new StepError(last.code, `${last.message} (${config.stepRetries + 1} tries)`);
  };
  const thinkingBudget = thinkingTokens(config.maxTokens, plan.reasoning_effort);
  const asked = longPrefix(task, persona, "").slice(0, persona ? 2 : 1);
  const callThinking = await text("thinking", [...prefixOf(asked), ...P.header(P.ANALYSIS)], thinkingBudget);
  // The call and its result are written by code.
  steps.push({ kind: "arguments", finish: "executor", tokens: 0 }, { kind: "tool_result", finish: "executor", tokens: 0 });
  const prefix = longPrefix(task, persona, callThinking);
  const beforeAnswer = [...prefixOf(prefix), ...P.header(P.ANALYSIS)];
  const answerThinking = await text("thinking", beforeAnswer, thinkingBudget);
  const final = await text(
    "final",
    [...prefixOf(prefix), ...P.closedMessage({ ...P.ANALYSIS, content: answerThinking }), ...P.header(P.FINAL)],
    config.maxTokens.final,
  );
  const record = longRecord({
    id: plan.id,
    persona,
    task,
    band: job.long.band,
    targetTokens: job.long.targetTokens,
    callThinking,
    answerThinking,
    final,
    meta: {
      seed: job.seed,
      model: deps.modelName,
      scenario: `long_context/${task.task}/${task.payload.kind}`,
      date: config.date,
      reasoning_effort: plan.reasoning_effort,
      steps,
    },
  });
  if (answerCheck) return record;
  // --no-answer-check: the answers stay in the record for audit, but not as a rule every reader applies.
  const meta = { ...record.meta };
  delete meta.expected_answers;
  meta.long_context = { ...(meta.long_context as object), answer_check: "off", unchecked_expected_answers: task.expected_answers };
  return { ...record, meta };
}
