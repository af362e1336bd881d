// The HTML report opened in a real headless Chromium (Debian's chromium, driven by
// playwright-core): no console errors, no network requests, every chart present with
// visible marks; a screenshot is kept in test/artifacts/stats-report.png.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtml } from "../../src/stats/html.js";
import { buildReport } from "../../src/stats/index.js";
import { finishReport, launchChromium, openReport } from "../helpers/browser.js";

// Chart id → the fewest marks with non-zero size it must show for the fixtures.
const CHARTS: Record<string, number> = {
  "persona-balance": 4, // lawful_good, true_neutral, chaotic_evil, none
  "length-histograms": 4, // at least one bar per persona facet
  "tool-usage": 2, // get_weather, search_web
  "trained-by-persona": 4,
  "channel-shares": 3, // analysis, commentary, final
  "fill-per-sample": 3, // 3 packed samples
  "trained-per-sample": 3,
  "trained-by-position": 1, // short fixtures: only the 0-4k band has trained tokens
  "documents-by-length": 1,
};

let browser: Browser;
let htmlPath: string;
const scratch = mkdtempSync(join(tmpdir(), "stats-html-"));

beforeAll(async () => {
  const bundle = await buildReport(["test/fixtures/stats/raw", "test/fixtures/stats/packed"], { workers: 0 });
  htmlPath = join(scratch, "report.html");
  writeFileSync(htmlPath, await renderHtml(bundle));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("HTML report in headless Chromium", () => {
  it("loads offline without errors or requests and shows every chart", async () => {
    const report = await openReport(browser, htmlPath);
    const page = report.page;

    // Runs in the page (a string: this project compiles without the DOM types).
    const marks = (await page.evaluate(`Object.fromEntries([...document.querySelectorAll("figure.chart")].map((fig) => [
      fig.getAttribute("data-chart"),
      [...fig.querySelectorAll("svg g.role-mark path")].filter((p) => { const b = p.getBBox(); return b.width > 0 && b.height > 0; }).length,
    ]))`)) as Record<string, number>;
    expect(Object.keys(marks).sort()).toEqual(Object.keys(CHARTS).sort());
    for (const [id, fewest] of Object.entries(CHARTS)) expect(marks[id], id).toBeGreaterThanOrEqual(fewest);

    const scripts = await page.evaluate(`document.querySelectorAll("script, link, img, iframe").length`);
    expect(scripts).toBe(0);
    expect(await page.locator("table").count()).toBeGreaterThanOrEqual(8);

    await finishReport(report, "stats-report.png");
  });
});
