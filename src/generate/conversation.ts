// One conversation: user turn (user simulator) → assistant turn (think, then call a tool or answer;
// arguments under a grammar built from the tool's parameters) → tool result (executor, or the tool
// simulator under the result schema's grammar) → … → assistant final. Every choice and sampling
// seed derives from the record seed, so a record is reproducible from (run seed, persona, index).
import { parseJsonText, stringifyJson, toPlainJson } from "../core/json.js";
import type { JsonSchema } from "../core/record.js";
import { type ConversationRecord, type Message, personaSystemMessage } from "../core/record.js";
import { fillTemplate, toolDefinition, type CatalogTool, type Scenario, type Templates } from "./catalog.js";
import type { GenerateConfig, PersonaChoice } from "./config.js";
import { ANSWER, decisionSchema, toGrammarSchema } from "./grammar-schema.js";
import type { GenerationModel, ModelSession } from "./model/types.js";
import * as P from "./prompt.js";
import { Rng, stableHash } from "./seed.js";
import { execute, type ToolSchemas } from "./tools.js";

/** A step that kept failing after its retries; `code` is the reject reason. */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class AbortedError extends Error {}

export interface ConversationDeps {
  model: GenerationModel;
  config: GenerateConfig;
  tools: Map<string, CatalogTool>;
  scenarios: Scenario[];
  templates: Templates;
  schemas: ToolSchemas;
  modelName: string;
  signal?: AbortSignal;
}

export interface ConversationJob {
  id: string;
  persona: PersonaChoice;
  seed: number;
}

export async function generateConversation(deps: ConversationDeps, session: ModelSession, job: ConversationJob): Promise<ConversationRecord> {
  return new ConversationRun(deps, session, job).run();
}

type Token = number;

type Decision = { action: "call"; tool: string } | { action: "final" };

class ConversationRun {
  private readonly rng: Rng;
  private readonly prompts = new P.PromptBuilder();
  private readonly messages: Message[] = [];
  private readonly scenario: Scenario;
  private readonly tools: CatalogTool[];
  private step = 0;
  private calls = 0;

  constructor(
    private readonly deps: ConversationDeps,
    private readonly session: ModelSession,
    private readonly job: ConversationJob,
  ) {
    this.rng = new Rng(job.seed);
    this.scenario = this.rng.pick(deps.scenarios);
    this.tools = this.scenario.tools.map((name) => deps.tools.get(name) as CatalogTool);
  }

  async run(): Promise<ConversationRecord> {
    const { config } = this.deps;
    if (this.job.persona) this.messages.push({ role: "system", content: personaSystemMessage(this.job.persona) });
    const turns = this.rng.int(config.turns.min, config.turns.max);
    for (let turn = 0; turn < turns; turn++) {
      this.messages.push({ role: "user", content: await this.userTurn(turn) });
      await this.assistantTurn();
    }
    return {
      id: this.job.id,
      persona: this.job.persona,
      tools: this.tools.map(toolDefinition),
      messages: this.messages,
      meta: {
        seed: this.job.seed,
        model: this.deps.modelName,
        scenario: this.scenario.key,
        theme: this.scenario.theme,
        ...(this.scenario.trap ? { trap: this.scenario.trap } : {}),
        date: config.date,
        reasoning_effort: config.reasoningEffort,
      },
    };
  }

  // --- the user simulator ---------------------------------------------------------------------

  private async userTurn(turn: number): Promise<string> {
    const { templates, config } = this.deps;
    const instruction =
      turn === 0
        ? `Start the conversation. This user might open like this (use your own words): ${this.scenario.opening}`
        : `Continue as the user. ${this.scenario.followups[turn - 1] ?? "React to the assistant's last answer naturally, with a follow-up question or a push-back."}`;
    const developer = fillTemplate(templates.userSimulator, { brief: this.scenario.brief, turn_instruction: instruction, transcript: P.transcript(this.messages) });
    const prompt = this.prompts.tokens([...P.systemMessage(config.date, "low", false), ...P.developerMessage(developer, []), ...P.userMessage("Write the user's next message now."), ...P.finalHeader]);
    return this.generateText("user_turn", prompt, config.maxTokens.user);
  }

  // --- the persona assistant ------------------------------------------------------------------

  private async assistantTurn(): Promise<void> {
    const { config } = this.deps;
    for (let round = 0; ; round++) {
      const prefix = this.assistantPrefix();
      const thinking = await this.generateText("thinking", [...prefix, ...this.prompts.tokens(P.analysisHeader)], config.maxTokens.thinking);
      const afterThinking = [...prefix, ...this.prompts.tokens([...P.analysisHeader, ...P.closeText(thinking)])];
      const roundsLeft = Math.min(config.toolRoundsPerTurn - round, this.tools.length > 0 ? Infinity : 0);
      const decision: Decision = roundsLeft > 0 ? await this.decide(afterThinking, roundsLeft) : { action: "final" };
      if (decision.action === "final") {
        const content = await this.generateText("final", [...afterThinking, ...this.prompts.tokens(P.finalHeader)], config.maxTokens.final);
        this.messages.push({ role: "assistant", thinking, content });
        return;
      }
      const tool = this.deps.tools.get(decision.tool) as CatalogTool;
      const args = await this.generateArguments(afterThinking, tool);
      const id = `call_${++this.calls}`;
      this.messages.push({ role: "assistant", thinking, tool_calls: [{ id, type: "function", function: { name: tool.name, arguments: args } }] });
      this.messages.push({ role: "tool", tool_call_id: id, name: tool.name, content: stringifyJson(await this.toolResult(tool, args)) });
    }
  }

  private assistantPrefix(): Token[] {
    const { config, templates } = this.deps;
    const persona = this.job.persona;
    const personaSection = persona ? fillTemplate(templates.personaSection, { persona, persona_card: templates.personaCards.get(persona) as string }) : templates.noPersonaSection;
    const guide = fillTemplate(templates.assistant, { persona_section: personaSection, theme: this.scenario.theme, guidance: this.scenario.guidance });
    // The record's own system message ("Persona: X") leads the developer instructions, as rendered.
    const instructions = persona ? `${personaSystemMessage(persona)}\n\n${guide}` : guide;
    return this.prompts.tokens([
      ...P.systemMessage(config.date, config.reasoningEffort, this.tools.length > 0),
      ...P.developerMessage(instructions, this.tools),
      ...P.historyParts(this.messages.filter((m) => m.role !== "system")),
    ]);
  }

  private async decide(afterThinking: Token[], roundsLeft: number): Promise<Decision> {
    const { templates, config } = this.deps;
    const grammar = decisionSchema(this.tools.map((t) => t.name));
    const ask = fillTemplate(templates.decide, { tool_rounds_left: roundsLeft });
    const prompt = [...afterThinking, ...this.prompts.tokens([...developerNote(ask), ...P.finalHeader])];
    const choice = await this.generateJson<string>("decision", prompt, config.maxTokens.decision, grammar, () => null);
    return choice === ANSWER ? { action: "final" } : { action: "call", tool: choice };
  }

  private async generateArguments(afterThinking: Token[], tool: CatalogTool): Promise<Record<string, unknown>> {
    const { config, schemas } = this.deps;
    const grammar = toGrammarSchema(tool.parameters, config.grammar);
    const prompt = [...afterThinking, ...this.prompts.tokens(P.callHeader(tool.name))];
    return this.generateJson("arguments", prompt, config.maxTokens.arguments, grammar, (value) => schemas.checkArguments(tool.name, value));
  }

  // --- tool results ---------------------------------------------------------------------------

  private async toolResult(tool: CatalogTool, args: Record<string, unknown>): Promise<unknown> {
    if (tool.executor) return execute(tool, toPlainJson(args) as Record<string, unknown>);
    const { config, templates, schemas } = this.deps;
    const developer = fillTemplate(templates.toolSimulator, {
      tool_name: tool.name,
      tool_description: tool.description,
      arguments: stringifyJson(args),
      date: config.date,
      result_schema: JSON.stringify(tool.result),
    });
    const grammar = toGrammarSchema(tool.result, config.grammar);
    const prompt = this.prompts.tokens([...P.systemMessage(config.date, "low", false), ...P.developerMessage(developer, []), ...P.userMessage("Return the result JSON."), ...P.finalHeader]);
    return this.generateJson("tool_result", prompt, config.maxTokens.toolResult, grammar, (value) => schemas.checkResult(tool.name, value));
  }

  // --- generation with step retries -------------------------------------------------------------

  /** Free text; an empty result is retried with a new seed. */
  private pending = { prompt: 0, maxTokens: 0 };

  /** The prompt and its budget must fit the sequence: llama.cpp would otherwise shift the context and silently drop the prompt's start. */
  private checkRoom(what: string): void {
    const room = this.session.contextSize;
    if (this.pending.prompt + this.pending.maxTokens > room) {
      throw new StepError("context_overflow", `${what.replace("_", " ")}: prompt ${this.pending.prompt} + budget ${this.pending.maxTokens} tokens exceed the context (${room}); raise contextSize in the pipeline or lower turns/maxTokens`);
    }
  }

  private async generateText(what: string, prompt: Token[], maxTokens: number): Promise<string> {
    this.pending = { prompt: prompt.length, maxTokens };
    return this.withRetries<string>(what, async (seed) => {
      const out = await this.session.generate({ prompt, maxTokens, seed, sampling: this.deps.config.sampling, tag: this.job.id }, this.deps.signal);
      const text = out.text.trim();
      return text ? { value: text } : { error: `empty_${what}`, message: `the model produced no ${what.replace("_", " ")} text` };
    });
  }

  /** JSON under a grammar; cut off by its budget or rejected by `check` → retried with a new seed. */
  private async generateJson<T = Record<string, unknown>>(what: string, prompt: Token[], maxTokens: number, schema: JsonSchema, check: (value: unknown) => string | null): Promise<T> {
    this.pending = { prompt: prompt.length, maxTokens };
    return this.withRetries<T>(what, async (seed) => {
      const out = await this.session.generate({ prompt, maxTokens, seed, sampling: this.deps.config.sampling, schema, tag: this.job.id }, this.deps.signal);
      if (out.finish !== "json") return { error: `${what}_incomplete`, message: `${what.replace("_", " ")} JSON did not close within ${maxTokens} tokens` };
      // The strict parser of every command: the record keeps the model's number literals as written
      // (1.0 stays 1.0 in the trained arguments); JSON number grammars allow exponents, and 1e999,
      // Infinity to a double, is retried like a repeated key.
      const read = parseJsonText(out.text);
      if ("error" in read) {
        const code = read.error.code === "number_out_of_range" ? "not_finite" : read.error.code;
        return { error: `${what}_${code}`, message: `${what.replace("_", " ")} JSON: ${read.error.message}` };
      }
      const problem = check(toPlainJson(read.value));
      return problem ? { error: `${what}_invalid`, message: problem } : { value: read.value as T };
    });
  }

  private async withRetries<T>(what: string, attempt: (seed: number) => Promise<{ value: T } | { error: string; message: string }>): Promise<T> {
    const step = this.step++;
    this.checkRoom(what);
    let last = { error: `${what}_failed`, message: "" };
    for (let retry = 0; retry <= this.deps.config.stepRetries; retry++) {
      if (this.deps.signal?.aborted) throw new AbortedError("aborted");
      const result = await attempt(stableHash(this.job.seed, "step", step, retry));
      if (this.deps.signal?.aborted) throw new AbortedError("aborted");
      if ("value" in result) return result.value;
      last = result;
    }
    throw new StepError(last.error, `${last.message} (${this.deps.config.stepRetries + 1} tries)`);
  }
}

/** A generation-time note to the assistant (not part of the record). */
const developerNote = (text: string) => P.developerMessage(text, []);

