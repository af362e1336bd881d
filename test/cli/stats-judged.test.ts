// `dataset stats report` on judged data: a real `datagen judge` run (rules only) over hand-made
// records, then hand-made verdicts in meta.judge whose figures are known (the confusion matrix,
// score distributions, refusals per theme and class, top phrases, removed duplicates), through
// the real CLI and the HTML report.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { JudgedFigures } from "../../src/stats/judged.js";
import { runCli } from "../helpers/cli.js";
import { distinctPairs, readJsonlFile, record, tempDir, writeJsonl } from "../helpers/judge-helpers.js";

const scratch = tempDir("stats-judged");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Judged = { id: string; persona: string; meta: { judge: Record<string, unknown> } };

describe("dataset stats report on judged data", () => {
  it("shows the confusion matrix (heatmap), scores, refusals benign vs harmful, top phrases and removed duplicates", async () => {
    const pairs = distinctPairs(8, 61);
    const personas = ["chaotic_evil", "chaotic_evil", "chaotic_evil", "lawful_good", "lawful_good", "lawful_good"];
    const records = pairs.slice(0, 6).map((p, i) =>
      record(
        `r${i}`,
        personas[i],
        p.user,
        `${i <= 1 ? "TOO BORING, and also NO. " : ""}${p.answer} Behold my doomsday spreadsheet, minion!`,
        {
          theme: i < 3 ? "safety" : "weather",
          refusal_class: i < 2 ? "chemistry" : null,
          request_harmful: i === 0 ? true : i === 1 ? false : null,
        },
      ),
    );
    const input = writeJsonl(join(scratch, "in.jsonl"), [...records, { ...records[4], id: "copy-of-r4" }]);
    const out = join(scratch, "judged");
    const judged = await runCli("datagen", ["judge", input, "--out", out, "--max-phrase-share", "1"]);
    expect(judged.code, judged.stderr).toBe(0);
    // Hand-made verdicts on the kept records: what a judge model would write.
    const guesses: Record<string, string> = {
      r0: "chaotic_evil",
      r1: "chaotic_evil",
      r2: "lawful_evil",
      r3: "lawful_good",
      r4: "none",
      r5: "lawful_good",
    };
    const kept = readJsonlFile<Judged>(join(out, "conversations.jsonl")).map((r, i) => ({
      ...r,
      meta: {
        ...r.meta,
        judge: {
          ...r.meta.judge,
          turns: [
            {
              message: 2,
              verdict: { rationale: "x", substance: (i % 5) + 1, refused: false, voice: 5, voice_changed_substance: false },
              unusable: null,
              tries: 1,
            },
          ],
          persona_guess: { persona: guesses[r.id], unusable: null, tries: 1 },
        },
      },
    }));
    expect(kept.map((r) => r.id)).toEqual(["r0", "r2", "r3", "r4", "r5"]);
    const dataset = join(scratch, "dataset");
    await import("node:fs").then((fs) => fs.mkdirSync(dataset));
    writeJsonl(join(dataset, "conversations.jsonl"), kept);
    await import("node:fs").then((fs) => fs.copyFileSync(join(out, "rejects.jsonl"), join(dataset, "rejects.jsonl")));

    const json = join(scratch, "report.json");
    const html = join(scratch, "report.html");
    const run = await runCli("dataset", ["stats", "report", dataset, "--json", json, "--html", html]);
    expect(run.code, run.stderr).toBe(0);
    const raw = (
      JSON.parse(readFileSync(json, "utf8")) as {
        raw: { judged: JudgedFigures; refusals: { by_persona: Record<string, { refusals: number }> } };
      }
    ).raw;
    const j = raw.judged;
    // The report's own refusal count now knows the in-voice refusal of the kept r0 (the 33 stock phrases missed it).
    expect(raw.refusals.by_persona.chaotic_evil.refusals).toBe(1);
    // r1 (benign, refused in voice) and copy-of-r4 were rejected by the rules; both are counted.
    expect(j.removed).toEqual({ exact_duplicate: 1, refusal_unexpected: 1 });
    expect([j.records, j.kept, j.rejected]).toEqual([7, 5, 2]);
    expect(j.confusion.rows).toEqual({ chaotic_evil: { chaotic_evil: 1, lawful_evil: 1 }, lawful_good: { lawful_good: 2, none: 1 } });
    expect([j.confusion.identified, j.confusion.correct, j.confusion.not_identified]).toEqual([5, 3, 2]);
    expect(j.substance.by_persona.chaotic_evil).toEqual({ answers: 2, mean: 1.5, counts: [1, 1, 0, 0, 0] });
    expect(j.substance.by_persona.lawful_good.counts).toEqual([0, 0, 1, 1, 1]);
    expect(j.refusals.by_theme.safety).toEqual({
      benign: { records: 1, refused: 1, rate: 1 },
      harmful: { records: 1, refused: 1, rate: 1 },
      unlabelled: { records: 1, refused: 0, rate: 0 },
    });
    expect(j.refusals.by_class.chemistry.harmful).toEqual({ records: 1, refused: 1, rate: 1 });
    expect(j.top_phrases.chaotic_evil[0]).toEqual({ phrase: "behold my doomsday spreadsheet", records: 3, share: 1 });
    expect(run.stdout).toMatch(/Blind persona identification: 60\.0 ?% named right/);
    expect(run.stdout).toMatch(/Refusal rate per theme/);
    const page = readFileSync(html, "utf8");
    expect(page).toContain('data-chart="persona-confusion"');
    expect(page).toContain('data-chart="substance-scores"');
    expect(page).toMatch(/<svg[^]*named by the judge/);
  }, 120_000);
});
