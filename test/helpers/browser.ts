// The HTML reports opened in a real headless Chromium (Debian's chromium, driven by playwright-core),
// shared by the stats and eval report tests: the browser, a page that records every console error or
// warning, page error and request, its screenshot kept in test/artifacts/, and the offline check.
import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const ARTIFACTS = resolve("test/artifacts");

/** Debian's chromium, headless; its absence is said plainly. */
export async function launchChromium(): Promise<Browser> {
  expect(existsSync(CHROMIUM), "Debian's chromium must be installed (apt-get install chromium)").toBe(true);
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A report file loaded in a new page, with what the page did besides. */
export interface OpenedReport {
  page: Page;
  /** The page's own file:// URL. */
  url: string;
  /** Console errors and warnings, and uncaught page errors. */
  problems: string[];
  /** Every URL the page requested, its own included. */
  requests: string[];
}

/** Opens `htmlPath` in a 1200x900 page and waits for its load event. */
export async function openReport(browser: Browser, htmlPath: string): Promise<OpenedReport> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("request", (r) => requests.push(r.url()));
  const url = pathToFileURL(htmlPath).href;
  await page.goto(url, { waitUntil: "load" });
  return { page, url, problems, requests };
}

/** Keeps a full-page screenshot as test/artifacts/`name`, then: no problem, no request but the page itself; closes the page. */
export async function finishReport(report: OpenedReport, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, name);
  await report.page.screenshot({ path: shot, fullPage: true });
  expect(existsSync(shot)).toBe(true);
  expect(report.problems).toEqual([]);
  expect(report.requests).toEqual([report.url]);
  await report.page.close();
}
