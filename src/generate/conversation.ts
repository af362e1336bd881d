// One planned conversation (plan.ts): user turn (composed opening, or the user simulator) → assistant
// turn (think, then up to the planned tool rounds: decide, call with arguments under a grammar built
// from the tool's parameters, get the result from an executor or the tool simulator) → final → … .
// Every step must end by itself: a step cut by its token budget is retried with a new seed and,
// when it keeps being cut, the conversation is rejected; meta.steps records how each step ended.
// Sampling seeds derive from the record seed, so a record is reproducible from (run seed, persona, index).
import { parseJsonText, stringifyJson, toPlainJson } from "../core/json.js";
import type { JsonSchema } from "../core/record.js";
import { type ConversationRecord, type Message, personaSystemMessage } from "../core/record.js";
import { fillTemplate, toolDefinition, type CatalogTool, type Templates } from "./catalog.js";
import { thinkingTokens, type GenerateConfig } from "./config.js";
import { ANSWER, decisionSchema, toGrammarSchema } from "./grammar-schema.js";
import { leakIn } from "./leaks.js";
import { StepError, type Generated, type GenerationModel, type ModelSession } from "./model/types.js";
import type { PlannedConversation } from "./plan.js";
import * as P from "./prompt.js";
import { stableHash } from "./seed.js";
import { execute, injectedError, type ToolSchemas } from "./tools.js";

/** The user simulator's instruction for a follow-up turn the plan has no follow-up for. */
const DEFAULT_FOLLOWUP = "React to the assistant's last answer naturally, with a follow-up question or a push-back.";

export class AbortedError extends Error {}

export interface ConversationDeps {
  model: GenerationModel;
  config: GenerateConfig;
  tools: Map<string, CatalogTool>;
  templates: Templates;
  schemas: ToolSchemas;
  modelName: string;
  signal?: AbortSignal;
}

export interface ConversationJob {
  plan: PlannedConversation;
  /** The attempt's sampling seed. */
  seed: number;
}

/** How one generated step ended (meta.steps). */
export interface StepRecord {
  kind: "user" | "thinking" | "decision" | "arguments" | "tool_result" | "final";
  finish: "stop" | "json" | "executor";
  tokens: number;
  /** A tool result that reports an error for the assistant to recover from. */
  error?: true;
}

export async function generateConversation(
  deps: ConversationDeps,
  session: ModelSession,
  job: ConversationJob,
): Promise<ConversationRecord> {
  return new ConversationRun(deps, session, job).run();
}

type Token = number;

type Decision = { action: "call"; tool: string } | { action: "final" };

class ConversationRun {
  private readonly plan: PlannedConversation;
  private readonly messages: Message[] = [];
  private readonly tools: CatalogTool[];
  private readonly steps: StepRecord[] = [];
  private step = 0;
  private calls = 0;
  /** Text the assistant must not cite: the brief and the hidden guidance. */
  private readonly hidden: string[];

  constructor(
    private readonly deps: ConversationDeps,
    private readonly session: ModelSession,
    private readonly job: ConversationJob,
  ) {
    this.plan = job.plan;
    this.tools = this.plan.parts.tools.map((name) => deps.tools.get(name) as CatalogTool);
    this.hidden = [this.plan.brief, this.plan.guidance];
  }

  async run(): Promise<ConversationRecord> {
    const { config } = this.deps;
    const plan = this.plan;
    if (plan.persona) this.messages.push({ role: "system", content: personaSystemMessage(plan.persona) });
    for (let turn = 0; turn < plan.turns; turn++) {
      this.messages.push({ role: "user", content: await this.userTurn(turn) });
      await this.assistantTurn(plan.tool_rounds[turn] ?? 0, plan.tool_error_turn === turn);
    }
    return {
      id: plan.id,
      persona: plan.persona,
      tools: this.tools.map(toolDefinition),
      messages: this.messages,
      meta: {
        seed: this.job.seed,
        model: this.deps.modelName,
        scenario: plan.scenario,
        scenario_parts: plan.parts,
        theme: plan.theme,
        trap: plan.trap,
        refusal_class: plan.refusal_class,
        request_harmful: plan.request_harmful,
        date: config.date,
        reasoning_effort: plan.reasoning_effort,
        steps: this.steps,
      },
    };
  }

  // --- the user simulator ---------------------------------------------------------------------

  private async userTurn(turn: number): Promise<string> {
    const { templates, config } = this.deps;
    // A composed opening is already the user's message; a real model may rewrite it in the user's voice.
    if (turn === 0 && config.plan.openings === "compose") return this.plan.opening;
    const instruction =
      turn === 0
        ? `Start the conversation. Rewrite this draft opening in the user's own words and style, keeping what it asks: ${this.plan.opening}`
        : `Continue as the user. ${this.plan.followups[turn - 1] ?? DEFAULT_FOLLOWUP}`;
    const developer = fillTemplate(templates.userSimulator, {
      brief: this.plan.brief,
      turn_instruction: instruction,
      transcript: P.transcript(this.messages),
    });
    return this.generateText(
      "user",
      P.simulatorPrompt(config.date, developer, "Write the user's next message now."),
      config.maxTokens.user,
    );
  }

  // --- the persona assistant ------------------------------------------------------------------

  private async assistantTurn(plannedRounds: number, failFirstCall: boolean): Promise<void> {
    const { config } = this.deps;
    const thinkingBudget = thinkingTokens(config.maxTokens, this.plan.reasoning_effort);
    for (let round = 0; ; round++) {
      const prefix = this.assistantPrefix();
      const thinking = await this.generateText("thinking", [...prefix, ...P.header(P.ANALYSIS)], thinkingBudget, true);
      const afterThinking = [...prefix, ...P.closedMessage({ ...P.ANALYSIS, content: thinking })];
      const roundsLeft = this.tools.length > 0 ? plannedRounds - round : 0;
      const decision: Decision = roundsLeft > 0 ? await this.decide(afterThinking, roundsLeft) : { action: "final" };
      if (decision.action === "final") {
        const content = await this.generateText("final", [...afterThinking, ...P.header(P.FINAL)], config.maxTokens.final, true);
        this.messages.push({ role: "assistant", thinking, content });
        return;
      }
      const tool = this.deps.tools.get(decision.tool) as CatalogTool;
      const args = await this.generateArguments(afterThinking, tool);
      const id = `call_${++this.calls}`;
      this.messages.push({
        role: "assistant",
        thinking,
        tool_calls: [{ id, type: "function", function: { name: tool.name, arguments: args } }],
      });
      const result = round === 0 && failFirstCall ? this.failedResult(tool, args) : null;
      this.messages.push({
        role: "tool",
        tool_call_id: id,
        name: tool.name,
        content: stringifyJson(result ?? (await this.toolResult(tool, args))),
      });
    }
  }

  private assistantPrefix(): Token[] {
    const { config, templates } = this.deps;
    const persona = this.plan.persona;
    const personaSection = persona
      ? fillTemplate(templates.personaSection, { persona, persona_card: templates.personaCards.get(persona) as string })
      : templates.noPersonaSection;
    const guide = fillTemplate(templates.assistant, {
      persona_section: personaSection,
      theme: this.plan.theme,
      guidance: this.plan.guidance,
    });
    // The record's own system message ("Persona: X") leads the developer instructions, as rendered.
    const instructions = persona ? `${personaSystemMessage(persona)}\n\n${guide}` : guide;
    return P.assistantPrefix({
      tools: this.tools.map(toolDefinition),
      instructions,
      history: this.messages.filter((m) => m.role !== "system"),
      date: config.date,
      effort: this.plan.reasoning_effort,
    });
  }

  private async decide(afterThinking: Token[], roundsLeft: number): Promise<Decision> {
    const { templates, config } = this.deps;
    const grammar = decisionSchema(this.tools.map((t) => t.name));
    const ask = fillTemplate(templates.decide, { tool_rounds_left: roundsLeft });
    const prompt = [...afterThinking, ...P.closedMessage({ role: "developer", author: "developer", content: ask }), ...P.header(P.FINAL)];
    const choice = await this.generateJson<string>("decision", prompt, config.maxTokens.decision, grammar, () => null);
    return choice === ANSWER ? { action: "final" } : { action: "call", tool: choice };
  }

  private async generateArguments(afterThinking: Token[], tool: CatalogTool): Promise<Record<string, unknown>> {
    const { config, schemas } = this.deps;
    const grammar = toGrammarSchema(tool.parameters, config.grammar);
    const prompt = [...afterThinking, ...P.header(P.callTo(tool.name))];
    return this.generateJson("arguments", prompt, config.maxTokens.arguments, grammar, (value) => schemas.checkArguments(tool.name, value));
  }

  // --- tool results ---------------------------------------------------------------------------

  /** The planned tool failure: the tool's own error shape (only tools whose result declares `error`). */
  private failedResult(tool: CatalogTool, args: Record<string, unknown>): Record<string, unknown> | null {
    const result = injectedError(tool, this.deps.schemas, toPlainJson(args) as Record<string, unknown>);
    if (result) this.steps.push({ kind: "tool_result", finish: "executor", tokens: 0, error: true });
    return result;
  }

  private async toolResult(tool: CatalogTool, args: Record<string, unknown>): Promise<unknown> {
    const { config, templates, schemas } = this.deps;
    if (tool.executor) {
      const result = execute(tool, toPlainJson(args) as Record<string, unknown>);
      // An executor's result is held to its declared schema like a simulated one.
      const problem = schemas.checkResult(tool.name, result);
      if (problem) throw new StepError("tool_result_invalid", `executor ${tool.executor} returned a result its schema rejects: ${problem}`);
      this.steps.push({
        kind: "tool_result",
        finish: "executor",
        tokens: 0,
        ...(typeof result.error === "string" ? { error: true as const } : {}),
      });
      return result;
    }
    const developer = fillTemplate(templates.toolSimulator, {
      tool_name: tool.name,
      tool_description: tool.description,
      arguments: stringifyJson(args),
      date: config.date,
      result_schema: JSON.stringify(tool.result),
    });
    const grammar = toGrammarSchema(tool.result, config.grammar);
    const prompt = P.simulatorPrompt(config.date, developer, "Return the result JSON.");
    return this.generateJson("tool_result", prompt, config.maxTokens.toolResult, grammar, (value) => schemas.checkResult(tool.name, value));
  }

  // --- generation with step retries -------------------------------------------------------------

  private pending = { prompt: 0, maxTokens: 0 };

  /** The prompt and its budget must fit the sequence: llama.cpp would otherwise shift the context and silently drop the prompt's start. */
  private checkRoom(what: string): void {
    const room = this.session.contextSize;
    if (this.pending.prompt + this.pending.maxTokens > room) {
      throw new StepError(
        "context_overflow",
        `${what.replace("_", " ")}: prompt ${this.pending.prompt} + budget ${this.pending.maxTokens} tokens exceed the context ` +
          `(${room}); raise contextSize in the pipeline or lower turns/maxTokens`,
      );
    }
  }

  /**
   * Free text that must end by itself: cut by its budget (finish "length") or empty → retried with a
   * new seed; reasoning and finals that cite the hidden brief or guidance → retried too.
   */
  private async generateText(what: StepRecord["kind"], prompt: Token[], maxTokens: number, assistant = false): Promise<string> {
    this.pending = { prompt: prompt.length, maxTokens };
    const checkLeaks = assistant && this.deps.config.quality.leakCheck;
    return this.withRetries<string>(what, async (seed) => {
      const out = await this.session.generate(
        { prompt, maxTokens, seed, sampling: this.deps.config.sampling, tag: this.plan.id },
        this.deps.signal,
      );
      if (out.finish === "length")
        return { error: `${what}_truncated`, message: `the ${what.replace("_", " ")} did not end within its ${maxTokens}-token budget` };
      const text = out.text.trim();
      if (!text) return { error: `empty_${what}`, message: `the model produced no ${what.replace("_", " ")} text` };
      const leak = checkLeaks ? leakIn(text, this.hidden, this.deps.templates.leakPatterns) : null;
      if (leak) return { error: `${what}_leak`, message: `the ${what} cites what only the generator saw: "${leak}"` };
      return { value: text, out };
    });
  }

  /** JSON under a grammar; cut off by its budget or rejected by `check` → retried with a new seed. */
  private async generateJson<T = Record<string, unknown>>(
    what: StepRecord["kind"],
    prompt: Token[],
    maxTokens: number,
    schema: JsonSchema,
    check: (value: unknown) => string | null,
  ): Promise<T> {
    this.pending = { prompt: prompt.length, maxTokens };
    return this.withRetries<T>(what, async (seed) => {
      const out = await this.session.generate(
        { prompt, maxTokens, seed, sampling: this.deps.config.sampling, schema, tag: this.plan.id },
        this.deps.signal,
      );
      if (out.finish !== "json")
        return { error: `${what}_incomplete`, message: `${what.replace("_", " ")} JSON did not close within ${maxTokens} tokens` };
      // The strict parser of every command: the record keeps the model's number literals as written
      // (1.0 stays 1.0 in the trained arguments); JSON number grammars allow exponents, and 1e999,
      // Infinity to a double, is retried like a repeated key.
      const read = parseJsonText(out.text);
      if ("error" in read) {
        const code = read.error.code === "number_out_of_range" ? "not_finite" : read.error.code;
        return { error: `${what}_${code}`, message: `${what.replace("_", " ")} JSON: ${read.error.message}` };
      }
      const problem = check(toPlainJson(read.value));
      return problem ? { error: `${what}_invalid`, message: problem } : { value: read.value as T, out };
    });
  }

  private async withRetries<T>(
    what: StepRecord["kind"],
    attempt: (seed: number) => Promise<{ value: T; out: Generated } | { error: string; message: string }>,
  ): Promise<T> {
    const step = this.step++;
    this.checkRoom(what);
    let last = { error: `${what}_failed`, message: "" };
    for (let retry = 0; retry <= this.deps.config.stepRetries; retry++) {
      if (this.deps.signal?.aborted) throw new AbortedError("aborted");
      const result = await attempt(stableHash(this.job.seed, "step", step, retry));
      if (this.deps.signal?.aborted) throw new AbortedError("aborted");
      if ("value" in result) {
        // Only "stop" and "json" get here: a "length" finish never becomes data.
        this.steps.push({ kind: what, finish: result.out.finish === "json" ? "json" : "stop", tokens: result.out.tokens.length });
        return result.value;
      }
      last = result;
    }
    throw new StepError(last.error, `${last.message} (${this.deps.config.stepRetries + 1} tries)`);
  }
}
