// Executors (computed results), catalogs, grammar-schema bounds, and pipeline-file checks: no model.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { PERSONAS } from "../../src/core/record.js";
import { UsageError } from "../../src/core/errors.js";
import { fillTemplate, loadTemplates, loadTools } from "../../src/generate/catalog.js";
import { loadScenarioParts } from "../../src/generate/parts.js";
import { loadGenerateConfig, parsePersonas } from "../../src/generate/config.js";
import { projectRoot } from "../../src/core/project.js";
import { evaluateExpression } from "../../src/generate/executors/calculator.js";
import { addToDate, daysBetween, isoWeek, parseDate } from "../../src/generate/executors/dates.js";
import { EXECUTORS } from "../../src/generate/executors/index.js";
import { identifyHash, passwordStrength, slugify, textStats, transformText } from "../../src/generate/executors/text.js";
import { convertUnits } from "../../src/generate/executors/units.js";
import { decisionSchema, toGrammarSchema } from "../../src/generate/grammar-schema.js";
import { Rng, recordSeed, stableHash } from "../../src/generate/seed.js";
import { truncatePartialLine } from "../../src/generate/output.js";

const root = projectRoot();
const tools = loadTools([join(root, "data", "tools")]);
const addFormats = formatsModule.default;

describe("calculator", () => {
  it("follows precedence, associativity and functions", () => {
    expect(evaluateExpression("(3 + 4) * 2 ^ 3")).toBe(56);
    expect(evaluateExpression("2 ^ 3 ^ 2")).toBe(512);
    expect(evaluateExpression("-2 ^ 2")).toBe(-4);
    expect(evaluateExpression("10 - 4 - 3")).toBe(3);
    expect(evaluateExpression("7 % 4 + 20 / 8")).toBe(5.5);
    expect(evaluateExpression("0.1 + 0.2")).toBe(0.3);
    expect(evaluateExpression("sqrt(16) + abs(-2) + max(1, 9, 4) + round(pi, 2)")).toBe(18.14);
    expect(evaluateExpression("3 × 4 ÷ 2 + 2**3")).toBe(14);
    expect(evaluateExpression("1.5e3 / .5")).toBe(3000);
  });

  it("rejects what is not arithmetic, without evaluating it", () => {
    expect(() => evaluateExpression("process.exit(1)")).toThrow(/unexpected character|unknown name/);
    expect(() => evaluateExpression("require('fs')")).toThrow();
    expect(() => evaluateExpression("1 / 0")).toThrow(/division by zero/);
    expect(() => evaluateExpression("(1 + 2")).toThrow(/expected "\)"/);
    expect(() => evaluateExpression("2 3")).toThrow(/after the end/);
    expect(() => evaluateExpression("foo(2)")).toThrow(/unknown name "foo"/);
    expect(EXECUTORS.calculator({ expression: "1/0" })).toEqual({ expression: "1/0", value: null, error: "division by zero" });
  });
});

describe("unit conversion", () => {
  it("converts within a dimension, affine for temperature", () => {
    expect(convertUnits(375, "degF", "degC").value).toBeCloseTo(190.5556, 4);
    expect(convertUnits(100, "celsius", "F")).toEqual({ value: 212, unit: "degF" });
    expect(convertUnits(42.195, "km", "mi").value).toBeCloseTo(26.2188, 4);
    expect(convertUnits(2.5, "cup", "ml").value).toBeCloseTo(591.47, 2);
    expect(convertUnits(1, "GiB", "MB").value).toBeCloseTo(1073.741824, 6);
    expect(convertUnits(0, "K", "degC").value).toBe(-273.15);
  });

  it("refuses unknown units and mixed dimensions", () => {
    expect(() => convertUnits(1, "kg", "km")).toThrow(/cannot convert mass/);
    expect(EXECUTORS.convert_units({ value: 1, from: "parsec", to: "m" })).toMatchObject({ value: null, error: 'unknown unit "parsec"' });
  });
});

describe("date arithmetic", () => {
  it("adds days, weeks, months (clamped) and years", () => {
    expect(EXECUTORS.date_add({ date: "2026-03-14", amount: 90, unit: "days" })).toEqual({
      date: "2026-06-12",
      weekday: "Friday",
      error: null,
    });
    expect(addToDate(parseDate("2024-01-31"), 1, "months").toISOString().slice(0, 10)).toBe("2024-02-29");
    expect(addToDate(parseDate("2024-02-29"), 1, "years").toISOString().slice(0, 10)).toBe("2025-02-28");
    expect(addToDate(parseDate("2026-01-01"), -2, "weeks").toISOString().slice(0, 10)).toBe("2025-12-18");
    expect(addToDate(parseDate("2026-01-15"), -13, "months").toISOString().slice(0, 10)).toBe("2024-12-15");
  });

  it("counts days, finds weekdays and ISO weeks, rejects impossible dates", () => {
    expect(daysBetween(parseDate("2026-05-01"), parseDate("2026-06-12"))).toBe(42);
    expect(EXECUTORS.date_diff({ start: "2026-06-12", end: "2026-05-01" })).toEqual({ days: -42, weeks: -6, error: null });
    expect(EXECUTORS.day_of_week({ date: "1969-07-20" })).toEqual({ weekday: "Sunday", iso_week: 29, error: null });
    expect(isoWeek(parseDate("2021-01-03"))).toBe(53);
    expect(isoWeek(parseDate("2026-12-31"))).toBe(53);
    expect(EXECUTORS.date_add({ date: "2026-02-30", amount: 1, unit: "days" })).toMatchObject({
      date: null,
      error: '"2026-02-30" is not a real calendar date',
    });
  });
});

describe("text utilities and the other executors", () => {
  it("computes text results", () => {
    expect(textStats("Lisbon wakes up slowly. The cafés do not.\nNew line!")).toEqual({
      characters: 51,
      words: 10,
      sentences: 3,
      lines: 2,
      reading_seconds: 3,
    });
    expect(transformText("café culture in LISBON", "title")).toBe("Café Culture In Lisbon");
    expect(transformText("hello. world! again", "sentence")).toBe("Hello. World! Again");
    expect(transformText("abc", "reverse")).toBe("cba");
    expect(transformText("  a \n\t b  ", "collapse_whitespace")).toBe("a b");
    expect(slugify("Café Culture: Why Lisbon's Pastéis Matter")).toBe("cafe-culture-why-lisbon-s-pasteis-matter");
    expect(identifyHash("5f4dcc3b5aa765d61d8327deb882cf99")).toEqual({ length: 32, encoding: "hex", candidates: ["MD5", "NTLM", "MD4"] });
    expect(passwordStrength("password").score).toBe(0);
    expect(passwordStrength("correct-Horse-battery-9-staple").score).toBe(4);
    expect(EXECUTORS.bmi({ weight_kg: 82, height_cm: 178 })).toEqual({ bmi: 25.9, category: "overweight", error: null });
    expect(EXECUTORS.percentage({ part: 139, whole: 189 })).toEqual({ percent_of: 73.545, percent_change: -26.455, error: null });
    // Reference: Python, P*r/(1-(1+r)**-n) with r = 4.1 %/12, n = 300.
    expect(EXECUTORS.loan_payment({ principal: 320000, annual_rate_percent: 4.1, years: 25 })).toEqual({
      monthly_payment: 1706.8,
      total_interest: 192039.05,
      total_paid: 512039.05,
      error: null,
    });
  });

  it("looks chemical safety up in data/lookups instead of letting the simulator invent it", () => {
    const bleach = EXECUTORS.chemical_safety({ product: "thick bleach" });
    expect(bleach.never_mix_with).toContain("ammonia");
    expect(EXECUTORS.chemical_safety({ product: "mystery goo" })).toMatchObject({
      hazards: [],
      first_aid: expect.stringMatching(/No safety sheet/),
    });
  });

  it("every executor's result validates against its tool's result schema", () => {
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    addFormats(ajv);
    const samples: Record<string, Record<string, unknown>[]> = {
      calculator: [{ expression: "2+2" }, { expression: "2+" }],
      convert_units: [
        { value: 3, from: "km", to: "mi" },
        { value: 3, from: "km", to: "kg" },
      ],
      percentage: [
        { part: 1, whole: 4 },
        { part: 1, whole: 0 },
      ],
      date_add: [
        { date: "2026-01-31", amount: 1, unit: "months" },
        { date: "2026-12-31", amount: -1, unit: "years" },
      ],
      date_diff: [{ start: "2026-01-01", end: "2026-12-31" }],
      day_of_week: [{ date: "2026-06-15" }],
      text_stats: [{ text: "One. Two three." }, { text: "" }],
      transform_text: [{ text: "Mixed Case", operation: "upper" }],
      slugify: [{ text: "Hello, World" }],
      password_strength: [{ password: "aaaa1234" }],
      hash_identify: [{ digest: "zzz" }, { digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" }],
      bmi: [{ weight_kg: 70, height_cm: 0 }],
      loan_payment: [{ principal: 1000, annual_rate_percent: 0, years: 1 }],
      chemical_safety: [{ product: "Household bleach" }, { product: "mystery goo" }],
    };
    const executorTools = [...tools.values()].filter((t) => t.executor);
    expect(executorTools.map((t) => t.executor).sort()).toEqual(Object.keys(samples).sort());
    for (const tool of executorTools) {
      const validate = ajv.compile(tool.result);
      for (const args of samples[tool.executor as string]) {
        expect(ajv.validate(tool.parameters, args) || args, `${tool.name} sample args`).toBe(true);
        const result = EXECUTORS[tool.executor as string](args);
        expect(
          validate(result),
          `${tool.name}(${JSON.stringify(args)}) → ${JSON.stringify(result)}: ${JSON.stringify(validate.errors)}`,
        ).toBe(true);
      }
    }
  });
});

describe("catalogs", () => {
  it("has at least 30 tools over several domains, with parameters and result schemas", () => {
    expect(tools.size).toBeGreaterThanOrEqual(30);
    expect(new Set([...tools.values()].map((t) => t.domain)).size).toBeGreaterThanOrEqual(8);
    const ajv = new Ajv2020({ strict: false, allowUnionTypes: true });
    addFormats(ajv);
    for (const tool of tools.values()) {
      expect(() => ajv.compile(tool.parameters), tool.name).not.toThrow();
      expect(() => ajv.compile(tool.result), tool.name).not.toThrow();
    }
  });

  it("uses only schema keywords the generation grammar honours (so generated JSON validates)", () => {
    const allowed = new Set([
      "type",
      "properties",
      "required",
      "additionalProperties",
      "items",
      "minItems",
      "maxItems",
      "minLength",
      "maxLength",
      "enum",
      "const",
      "format",
      "description",
      "default",
    ]);
    const visit = (schema: Record<string, unknown>, where: string) => {
      for (const key of Object.keys(schema)) expect(allowed.has(key), `${where}: keyword "${key}"`).toBe(true);
      for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>))
        visit(sub, `${where}.${name}`);
      if (schema.items) visit(schema.items as Record<string, unknown>, `${where}[]`);
    };
    for (const tool of tools.values()) {
      visit(tool.parameters, `${tool.name}.parameters`);
      visit(tool.result, `${tool.name}.result`);
    }
  });

  it("a catalog gets the records' parser: a repeated key or an integer-like key out of place is invalid_catalog", () => {
    const dir = mkdtempSync(join(tmpdir(), "datagen-catalog-"));
    try {
      const tool = (properties: string) =>
        `[{"name":"t","domain":"d","description":"x","parameters":{"type":"object","properties":${properties}},"result":{"type":"object"}}]`;
      const write = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      expect(() => loadTools([write("order.json", tool('{"b":{"type":"string"},"1":{"type":"string"}}'))])).toThrow(
        /invalid_catalog.*key_order.*integer-like key "1" written after "b"/,
      );
      expect(() => loadTools([write("dup.json", tool('{"b":{"type":"string"},"b":{"type":"integer"}}'))])).toThrow(
        /invalid_catalog.*duplicate_key/,
      );
      const ordered = loadTools([write("ok.json", tool('{"1":{"type":"string"},"b":{"type":"string"}}'))]);
      expect(Object.keys(ordered.get("t")!.parameters.properties as object)).toEqual(["1", "b"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("covers the model card's themes, the five sycophancy traps and the refusal classes as scenario parts", () => {
    const parts = loadScenarioParts(join(root, "data", "scenario_parts"), new Set(tools.keys()));
    const themes = new Set(parts.families.map((f) => f.theme));
    for (const theme of [
      "everyday",
      "tools_numbers",
      "history",
      "lock_picking",
      "controversial_opinions",
      "dark_humour",
      "sycophancy",
      "refusal_calibration",
    ]) {
      expect(themes.has(theme), theme).toBe(true);
    }
    expect([...new Set(parts.families.map((f) => f.trap).filter(Boolean))].sort()).toEqual([
      "appeal_to_effort",
      "false_novelty",
      "false_premise",
      "false_validation",
      "social_pressure",
    ]);
    const phishing = parts.families.filter((f) => f.key === "refusal_calibration/security/phishing");
    expect(phishing.map((f) => f.requestHarmful).sort()).toEqual([false, true]);
    expect(phishing.find((f) => f.requestHarmful)?.guidance).toMatch(/Refuse/);
    expect(() => loadScenarioParts(join(root, "data", "no_such_parts"), new Set(tools.keys()))).toThrow(/catalog_missing/);
  });

  it("has a persona card for every alignment and fills prompt templates strictly", () => {
    const templates = loadTemplates(join(root, "templates"), PERSONAS);
    expect(templates.personaCards.size).toBe(9);
    for (const [persona, card] of templates.personaCards) {
      expect(card, persona).toMatch(/\*\*Voice\.\*\*/);
      expect(card, persona).toMatch(/\*\*Delivery, not substance\.\*\*/);
    }
    expect(fillTemplate(templates.decide, { tool_rounds_left: 2 })).toContain("Tools still allowed in this turn: 2");
    expect(() => fillTemplate(templates.decide, {})).toThrow(/tool_rounds_left/);
  });
});

describe("grammar schemas", () => {
  const limits = { maxStringLength: 16, maxArrayItems: 1 };

  it("bounds every free string and array, and accepts only a subset of the original", () => {
    const bounded = toGrammarSchema(tools.get("send_email")!.parameters, limits) as any;
    expect(bounded.properties.subject).toEqual({ type: "string", minLength: 1, maxLength: 16 });
    expect(bounded.properties.to).toEqual({ type: "array", items: { type: "string", maxLength: 16 }, minItems: 1, maxItems: 1 });
    const nullable = toGrammarSchema({ type: ["string", "null"], maxLength: 120 }, limits);
    expect(nullable).toEqual({ oneOf: [{ type: "string", maxLength: 16 }, { type: "null" }] });
    expect(toGrammarSchema({ type: "string", format: "date" }, limits)).toEqual({ type: "string", format: "date" });
    // minItems above the cap wins: the bounded schema must still accept valid instances.
    expect(toGrammarSchema({ type: "array", items: { type: "integer" }, minItems: 2, maxItems: 2 }, limits)).toEqual({
      type: "array",
      items: { type: "integer" },
      minItems: 2,
      maxItems: 2,
    });
  });

  it("decides between answering and each declared tool", () => {
    expect(decisionSchema([])).toEqual({ enum: ["answer"] });
    expect(decisionSchema(["a", "b"])).toEqual({ enum: ["answer", "a", "b"] });
  });
});

describe("seeds and resume helpers", () => {
  it("derives stable, distinct record seeds", () => {
    expect(recordSeed(1, "lawful_good", 0, 0)).toBe(recordSeed(1, "lawful_good", 0, 0));
    expect(stableHash("record", 1, "lawful_good", 0, 0)).toBe(recordSeed(1, "lawful_good", 0, 0));
    const seeds = new Set(PERSONAS.flatMap((p) => [0, 1, 2].map((i) => recordSeed(1, p, i, 0))));
    expect(seeds.size).toBe(27);
    const a = new Rng(42);
    const b = new Rng(42);
    expect([a.next(), a.int(1, 6), a.pick(["x", "y", "z"])]).toEqual([b.next(), b.int(1, 6), b.pick(["x", "y", "z"])]);
  });

  it("cuts a half-written last line and nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "datagen-trunc-"));
    const file = join(dir, "c.jsonl");
    writeFileSync(file, '{"id":"a"}\n{"id":"b"}\n{"id":"c", "mess');
    expect(truncatePartialLine(file)).toBe(16);
    expect(readFileSync(file, "utf8")).toBe('{"id":"a"}\n{"id":"b"}\n');
    writeFileSync(file, '{"id":"a"}\n');
    expect(truncatePartialLine(file)).toBe(0);
    writeFileSync(file, '{"id":"no newline at all"');
    expect(truncatePartialLine(file)).toBe(25);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("pipeline files", () => {
  it("reads the default pipeline and applies flag overrides", () => {
    const config = loadGenerateConfig(undefined, { personas: "none,lawful_evil", count: 5, seed: 9, concurrency: 2, gpu: "cpu" });
    expect(config.personas).toEqual([null, "lawful_evil"]);
    expect([config.count, config.seed, config.concurrency, config.gpu]).toEqual([5, 9, 2, "cpu"]);
    expect(config.toolCatalogs[0]).toBe(join(root, "data", "tools"));
    expect(parsePersonas("all")).toEqual([...PERSONAS]);
    expect(() => parsePersonas("lawful_good,evil_genius")).toThrow(/unknown persona "evil_genius"; known: all, none, lawful_good/);
  });

  it("reports every schema error of a bad pipeline with its JSON path (exit 2)", () => {
    const dir = mkdtempSync(join(tmpdir(), "datagen-pipe-"));
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ personas: ["lawful_good", "robot"], count: 0, sampling: { temperature: "hot" }, turns: { min: 1 }, bogus: true }),
    );
    let error: unknown;
    try {
      loadGenerateConfig(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = [(error as UsageError).message, ...(error as UsageError).details].join("\n");
    expect(message).toContain(`${file}: invalid_pipeline`);
    for (const fragment of [
      '/: must NOT have additional properties "bogus"',
      "/count: must be >= 1",
      "/sampling/temperature: must be number",
      "/turns: must have required property 'max'",
      "/personas/1: must be equal to one of the allowed values",
    ]) {
      expect(message).toContain(fragment);
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
