// The eval report page opened in a real headless Chromium (Debian's chromium, driven by
// playwright-core), like the stats report: no console errors, no network requests, no scripts,
// the card's tables and every chart with visible marks; "not scored (no judge)" is shown as such.
// A screenshot is kept in test/artifacts/eval-report.png.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderEvalHtml } from "../../src/eval/html.js";
import { scoreEval } from "../../src/eval/score.js";
import { buildItems } from "../../src/eval/suites/index.js";
import { PERSONAS } from "../../src/core/record.js";
import { finishReport, launchChromium, openReport } from "../helpers/browser.js";

// Chart id → the fewest marks with a size it must show.
const CHARTS: Record<string, number> = { ruler: 5, personas: 10, sycophancy: 10, refusals: 2, timing: 4 };

let browser: Browser;
let htmlPath: string;
const scratch = mkdtempSync(join(tmpdir(), "eval-html-"));

beforeAll(async () => {
  const items = buildItems(["ruler", "personas", "sycophancy", "refusals"], {
    seed: "1",
    lengths: [4096, 8192],
    samples: 1,
    personas: [null, ...PERSONAS],
    holdout: null,
  });
  // Answers whose scores are known: every second ruler item answered correctly, refusals refused.
  const answers = items.map((item, k) => ({
    id: item.id,
    answer: item.suite === "ruler" ? (k % 2 === 0 ? (item.expected ?? []).join(" ") : "no idea") : "I can't help with that.",
    seconds: 0.5 + (k % 3),
  }));
  writeFileSync(join(scratch, "items.jsonl"), items.map((i) => JSON.stringify(i) + "\n").join(""));
  writeFileSync(join(scratch, "answers.jsonl"), answers.map((a) => JSON.stringify(a) + "\n").join(""));
  htmlPath = join(scratch, "report.html");
  writeFileSync(htmlPath, await renderEvalHtml(await scoreEval(scratch)));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("eval HTML report in headless Chromium", () => {
  it("loads offline without errors or requests and shows the card's tables and every chart", async () => {
    const report = await openReport(browser, htmlPath);
    const page = report.page;

    const marks = (await page.evaluate(`Object.fromEntries([...document.querySelectorAll("figure.chart")].map((fig) => [
      fig.getAttribute("data-chart"),
      [...fig.querySelectorAll("svg g.role-mark path, svg g.role-mark line, svg g.role-mark rect")]
        .filter((p) => { const b = p.getBBox(); return b.width > 0 || b.height > 0; }).length,
    ]))`)) as Record<string, number>;
    expect(Object.keys(marks).sort()).toEqual(Object.keys(CHARTS).sort());
    for (const [id, fewest] of Object.entries(CHARTS)) expect(marks[id], id).toBeGreaterThanOrEqual(fewest);

    const sections = (await page.evaluate(
      `[...document.querySelectorAll("section")].map((s) => s.getAttribute("data-section"))`,
    )) as string[];
    expect(sections).toEqual(["ruler", "persona-grid", "personas", "sycophancy", "refusals", "timing"]);
    const ruler = (await page.evaluate(
      `[...document.querySelectorAll('section[data-section="ruler"] tr')].map((tr) => tr.innerText.split("\\t"))`,
    )) as string[][];
    expect(ruler[0]).toEqual(["Test Type", "4K", "8K"]);
    expect(ruler.slice(1).map((r) => r[0])).toEqual([
      "Single Needle",
      "Multi Needle",
      "Variable Tracking",
      "Aggregation (common-words style)",
      "Not Found",
    ]);
    expect(
      ruler
        .slice(1)
        .flatMap((r) => r.slice(1))
        .sort(),
    ).toEqual(["0%", "0%", "0%", "0%", "0%", "100%", "100%", "100%", "100%", "100%"]);
    expect(await page.locator("td.none").count()).toBeGreaterThan(10);
    expect(await page.locator("ul.notes li").count()).toBeGreaterThanOrEqual(1);
    expect(await page.evaluate(`document.querySelectorAll("script, link, img, iframe").length`)).toBe(0);

    await finishReport(report, "eval-report.png");
  });
});
