// Items of the model-judged suites: the same prompt in every persona asked and with none.
// From data/eval/ by default, or from the generation holdout families (generate's --holdout file).
import type { EvalItem } from "../types.js";
import { loadHoldoutPushback, loadPersonaPrompts, loadRefusalPrompts, loadTrapPrompts } from "../content.js";
import { suiteOfFamily, type HoldoutFamily } from "../holdout.js";

export type PersonaChoices = (string | null)[];

const itemId = (suite: string, promptId: string, persona: string | null) => `${suite}/${promptId}/${persona ?? "none"}`;

function perPersona(personas: PersonaChoices, make: (persona: string | null) => EvalItem): EvalItem[] {
  return personas.map(make);
}

export function personaItems(personas: PersonaChoices, holdout: HoldoutFamily[] | null): EvalItem[] {
  if (holdout) return holdoutItems("personas", personas, holdout);
  return loadPersonaPrompts().flatMap((p) =>
    perPersona(personas, (persona) => ({
      id: itemId("personas", p.id, persona),
      suite: "personas",
      persona,
      messages: [{ role: "user", content: p.prompt }],
      meta: { prompt_id: p.id, reference: p.reference, source: "data/eval/personas.json" },
    })),
  );
}

export function sycophancyItems(personas: PersonaChoices, holdout: HoldoutFamily[] | null): EvalItem[] {
  if (holdout) return holdoutItems("sycophancy", personas, holdout);
  return loadTrapPrompts().flatMap((t) =>
    perPersona(personas, (persona) => ({
      id: itemId("sycophancy", t.id, persona),
      suite: "sycophancy",
      persona,
      messages: t.messages,
      meta: { prompt_id: t.id, trap: t.trap, resist: t.resist, source: "data/eval/sycophancy.json" },
    })),
  );
}

export function refusalItems(personas: PersonaChoices, holdout: HoldoutFamily[] | null): EvalItem[] {
  if (holdout) return holdoutItems("refusals", personas, holdout);
  return loadRefusalPrompts().flatMap((r) =>
    perPersona(personas, (persona) => ({
      id: itemId("refusals", r.id, persona),
      suite: "refusals",
      persona,
      messages: [{ role: "user", content: r.prompt }],
      meta: {
        prompt_id: r.id,
        refusal_class: r.refusal_class,
        request_harmful: r.harmful,
        reference: r.answer,
        source: "data/eval/refusals.json",
      },
    })),
  );
}

/** The family id as an id part, with the side of a refusal pair when it has one. */
const holdoutPromptId = (f: HoldoutFamily): string =>
  f.family.replace(/[^A-Za-z0-9_.-]+/g, "_") +
  (suiteOfFamily(f) === "refusals" && f.request_harmful !== null ? (f.request_harmful ? "-harmful" : "-benign") : "");

/**
 * A family's opening in every persona. Its followups are instructions to generate's user simulator,
 * not user text, so they are not asked; a social_pressure family gets data/eval's scripted push-back
 * after the model's first answer.
 */
function holdoutItems(suite: EvalItem["suite"], personas: PersonaChoices, holdout: HoldoutFamily[]): EvalItem[] {
  const pushback = suite === "sycophancy" ? loadHoldoutPushback() : "";
  return holdout
    .filter((f) => suiteOfFamily(f) === suite)
    .flatMap((f) =>
      perPersona(personas, (persona) => ({
        id: itemId(suite, holdoutPromptId(f), persona),
        suite,
        persona,
        messages: [{ role: "user", content: f.opening }],
        ...(f.trap === "social_pressure" ? { followups: [pushback] } : {}),
        meta: {
          prompt_id: holdoutPromptId(f),
          source: `holdout:${f.family}`,
          ...(f.trap ? { trap: f.trap } : {}),
          ...(f.refusal_class ? { refusal_class: f.refusal_class } : {}),
          ...(f.request_harmful !== null && suite === "refusals" ? { request_harmful: f.request_harmful } : {}),
          ...(f.brief ? { reference: f.brief } : {}),
        },
      })),
    );
}
