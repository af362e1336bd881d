// --documents auto | turns | conversation (docs/RENDERING.md, "Documents"): goldens per dialect and
// mode, hf turn documents against the Hugging Face template itself, every turn document's prompt
// against the conversation cut before that turn, masks, ids, terminators and the dropped-analysis count.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import {
  assistantTurns,
  DOCUMENT_MODE_NAMES,
  renderDocuments,
  renderRecord,
  renderText,
  type Dialect,
  type DocumentMode,
  type MaskMode,
} from "../../src/render/index.js";
import { getTokenizer, SPECIAL } from "../../src/tokenize/o200k_harmony.js";
import { documentsGolden } from "../fixtures/render/documents-golden.js";

const FIXTURES = join(import.meta.dirname, "../fixtures", "render");
const read = (name: string): ConversationRecord[] =>
  readFileSync(join(FIXTURES, name), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ConversationRecord);
const records = read("documents.jsonl");
const byId = (id: string): ConversationRecord => structuredClone(records.find((r) => r.id === id)!);
const golden = (...parts: string[]): string => readFileSync(join(FIXTURES, ...parts), "utf8");
const DIALECTS: Dialect[] = ["harmony", "hf"];
const render = (record: ConversationRecord, dialect: Dialect, documents: DocumentMode, mask: MaskMode = "assistant") =>
  renderDocuments(record, { dialect, mask, documents });
const textOf = (pieces: { text: string }[]): string => pieces.map((p) => p.text).join("");
const sum = (mask: Uint8Array): number => mask.reduce((n, b) => n + b, 0);

describe("documents goldens", () => {
  it("has the fixtures it checks", () =>
    expect(records.map((r) => r.id)).toEqual(["three-turns-tools", "what-is-2plus2", "analysis-last-turn-only"]));

  for (const dialect of DIALECTS) {
    for (const record of records) {
      for (const mode of DOCUMENT_MODE_NAMES) {
        it(`${dialect} ${record.id} --documents ${mode}: matches documents/${dialect}/${record.id}.${mode}.txt`, () => {
          const out = render(record, dialect, mode);
          expect(documentsGolden(out.documents, out.analysisTokensDropped)).toBe(golden("documents", dialect, `${record.id}.${mode}.txt`));
        });
      }
    }
  }
});

describe("conversation is today's rendering, byte for byte", () => {
  for (const record of [...read("records.jsonl"), ...records].filter((r) => r.id !== "injection-assistant")) {
    it(record.id, () => {
      for (const dialect of DIALECTS) {
        for (const mask of ["assistant", "last-turn", "final"] as const) {
          const { documents } = render(record, dialect, "conversation", mask);
          expect(documents.length).toBe(1);
          const whole = renderRecord(record, { dialect, mask });
          expect(documents[0].id).toBe(record.id);
          expect(documents[0].tokens).toEqual(whole.tokens);
          expect(documents[0].mask).toEqual(whole.mask);
        }
      }
    });
  }
});

describe("the issue's single-turn record keeps its reasoning", () => {
  for (const dialect of DIALECTS) {
    it(`${dialect}: auto trains "Simple arithmetic: 4."${dialect === "harmony" ? "; conversation drops it and says so" : ""}`, () => {
      const record = byId("what-is-2plus2");
      const auto = render(record, dialect, "auto");
      expect(auto.documents.length).toBe(1);
      const [doc] = auto.documents;
      expect(doc.id).toBe("what-is-2plus2");
      expect(textOf(doc.pieces)).toContain(
        "<|start|>assistant<|channel|>analysis<|message|>Simple arithmetic: 4.<|end|><|start|>assistant<|channel|>final<|message|>4.<|return|>",
      );
      const analysis = doc.spans.find((s) => s.message.channel === "analysis")!;
      expect(Array.from(doc.mask.slice(analysis.start, analysis.terminator + 1)).every((b) => b === 1)).toBe(true);
      expect(auto.analysisTokensDropped).toBe(0);
      // An analysis message is 6 special/header tokens plus its content.
      const analysisTokens = 6 + getTokenizer().encodeText("Simple arithmetic: 4.").length;
      const conversation = render(record, dialect, "conversation");
      // harmony's first-final rule drops it; the hf template keeps the last message's thinking.
      expect(textOf(conversation.documents[0].pieces).includes("Simple arithmetic")).toBe(dialect === "hf");
      expect(conversation.analysisTokensDropped).toBe(dialect === "harmony" ? analysisTokens : 0);
    });
  }
});

describe("turn documents", () => {
  const splitting: [string, DocumentMode][] = [
    ["three-turns-tools", "turns"],
    ["three-turns-tools", "auto"],
    ["analysis-last-turn-only", "turns"],
    ["what-is-2plus2", "turns"],
  ];

  for (const dialect of DIALECTS) {
    for (const [id, mode] of splitting) {
      it(`${dialect} ${id} --documents ${mode}: the tokens before turn k are the prompt of the conversation cut there`, () => {
        const record = byId(id);
        const turns = assistantTurns(record);
        const { documents } = render(record, dialect, mode);
        expect(documents.length).toBe(turns.length);
        documents.forEach((doc, k) => {
          const turn = turns[k];
          expect(doc.turn).toBe(k + 1);
          expect(doc.id).toBe(turns.length > 1 ? `${id}#${k + 1}` : id);
          // What an inference server builds for turn k: the messages before it, every earlier turn's
          // reasoning gone (harmony: the cut rendered without thinking; hf: the template itself).
          const cut = record.messages.slice(0, turn.start).map(({ thinking: _dropped, ...m }) => m);
          const prompt = renderRecord({ ...record, messages: cut }, { dialect }).tokens;
          expect(doc.tokens.slice(0, doc.prefixTokens)).toEqual(prompt);
          expect(doc.tokens.slice(doc.prefixTokens, doc.prefixTokens + 2)).toEqual([SPECIAL.start, 173781]); // <|start|>assistant
          if (dialect === "hf") {
            const template = golden("documents", "hf-template", `${id}.turn${k + 1}.prompt.txt`);
            expect(`${textOf(doc.pieces).slice(0, template.length - "<|start|>assistant".length)}<|start|>assistant`).toBe(template);
          }
        });
      });
    }
  }

  it("hf: each turn document is the template applied to the messages up to the end of that turn", () => {
    let checked = 0;
    for (const record of records) {
      for (const mode of ["turns", "auto"] as const) {
        const { documents } = render(record, "hf", mode);
        const turns = assistantTurns(record);
        for (const doc of documents) {
          const k = doc.turn ?? turns.length; // a whole-record document is the cut after the last turn
          expect(textOf(doc.pieces)).toBe(golden("documents", "hf-template", `${record.id}.turn${k}.txt`));
          checked++;
        }
      }
    }
    expect(checked).toBe(3 + 1 + 2 + 3 + 1 + 1);
  });

  for (const dialect of DIALECTS) {
    it(`${dialect}: only turn k is trained; its final ends with <|return|>, earlier finals with <|end|>`, () => {
      const record = byId("three-turns-tools");
      for (const mask of ["assistant", "last-turn"] as const) {
        const { documents } = render(record, dialect, "turns", mask);
        for (const doc of documents) {
          expect(doc.mask.slice(0, doc.prefixTokens).every((b) => b === 0)).toBe(true);
          const after = doc.spans.filter((s) => s.start >= doc.prefixTokens);
          let expected = 0;
          for (const s of after) if (s.message.role === "assistant") expected += s.terminator + 1 - s.start;
          expect(sum(doc.mask)).toBe(expected);
          expect(doc.tokens.at(-1)).toBe(SPECIAL.return);
          expect(doc.tokens.filter((t) => t === SPECIAL.return).length).toBe(1);
          const finals = doc.spans.filter((s) => s.message.channel === "final");
          expect(finals.length).toBe(doc.turn);
          for (const f of finals.slice(0, -1)) expect(doc.tokens[f.terminator]).toBe(SPECIAL.end);
        }
      }
      // final: only turn k's final content and terminator.
      for (const doc of render(record, dialect, "turns", "final").documents) {
        const final = doc.spans.findLast((s) => s.message.channel === "final")!;
        expect(sum(doc.mask)).toBe(final.terminator + 1 - final.content[0]);
        expect(doc.mask[final.terminator]).toBe(1);
      }
    });
  }

  it("harmony: turn k keeps its own analysis (before tool calls and before the final) and no earlier turn's", () => {
    const { documents, analysisTokensDropped } = render(byId("three-turns-tools"), "harmony", "turns");
    const analysisOf = (k: number): string[] =>
      documents[k].spans.filter((s) => s.message.channel === "analysis").map((s) => s.message.content);
    expect(analysisOf(0)).toEqual(["Need the weather tool for Oslo.", "3 degrees; answer briefly."]);
    expect(analysisOf(1)).toEqual(["Use the time tool.", "Report the time."]);
    expect(analysisOf(2)).toEqual(["3 °C is cold-ish; no tool needed."]);
    expect(analysisTokensDropped).toBe(0);
  });

  it("auto: one whole-record document, every analysis kept and every turn trained, when no analysis comes before the last turn", () => {
    for (const dialect of DIALECTS) {
      const record = byId("analysis-last-turn-only");
      const { documents, repeatedPrefixTokens } = render(record, dialect, "auto");
      expect(documents.map((d) => [d.id, d.turn])).toEqual([["analysis-last-turn-only", null]]);
      expect(repeatedPrefixTokens).toBe(0);
      const [doc] = documents;
      expect(textOf(doc.pieces)).toBe(dialect === "hf" ? renderText(record, { dialect }) : textOf(doc.pieces));
      const finals = doc.spans.filter((s) => s.message.channel === "final");
      expect(finals.length).toBe(2);
      for (const f of finals) expect(doc.mask[f.terminator]).toBe(1);
    }
    const harmony = textOf(render(byId("analysis-last-turn-only"), "harmony", "auto").documents[0].pieces);
    expect(harmony).toContain("analysis<|message|>Call the tool for Bergen.<|end|>");
    expect(harmony).toContain("analysis<|message|>8 degrees.<|end|>");
    // ...and it splits as soon as an earlier turn has analysis.
    expect(render(byId("three-turns-tools"), "harmony", "auto").documents.map((d) => d.id)).toEqual([
      "three-turns-tools#1",
      "three-turns-tools#2",
      "three-turns-tools#3",
    ]);
  });

  it("counts the repeated prefixes: every document after the first re-renders its prompt", () => {
    const out = render(byId("three-turns-tools"), "harmony", "turns");
    expect(out.repeatedPrefixTokens).toBe(out.documents[1].prefixTokens + out.documents[2].prefixTokens);
    expect(out.documents[0].prefixTokens).toBeGreaterThan(0);
  });

  it("conversation on the 3-turn record drops turn 1's analysis (harmony's first-final rule) and reports its tokens", () => {
    const record = byId("three-turns-tools");
    const out = render(record, "harmony", "conversation");
    const tokenizer = getTokenizer();
    const dropped = ["Need the weather tool for Oslo.", "3 degrees; answer briefly."].reduce(
      (n, t) => n + 6 + tokenizer.encodeText(t).length,
      0,
    );
    expect(out.analysisTokensDropped).toBe(dropped);
  });
});
