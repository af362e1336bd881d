// The one resume check (src/core/run-json.ts) that generate, judge and eval make against their run.json.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, UsageError } from "../../src/core/errors.js";
import { checkResumable, type ResumeExpectation } from "../../src/core/run-json.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-run-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function runJson(body: string | object): string {
  const path = join(dir, `run-${n++}.json`);
  writeFileSync(path, typeof body === "string" ? body : JSON.stringify(body));
  return path;
}

const expectation: ResumeExpectation = {
  fingerprint: "f1",
  format: "datagen-x-run/1",
  identity: "model-a",
  modelMismatch: (before, now) => `model ${before} is not ${now}`,
  settingsMismatch: "other settings",
};

describe("checkResumable", () => {
  it("lets a fresh folder and the same run through", () => {
    expect(() => checkResumable(join(dir, "absent.json"), dir, expectation)).not.toThrow();
    const same = runJson({ format: "datagen-x-run/1", fingerprint: "f1", model: { identity: "model-a" } });
    expect(() => checkResumable(same, dir, expectation)).not.toThrow();
  });

  it("refuses an unreadable run.json as data, naming the file", () => {
    const path = runJson("{ torn");
    let caught: unknown;
    try {
      checkResumable(path, dir, expectation);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect(caught).toMatchObject({ code: "unreadable_run_json", location: { file: path } });
  });

  it("refuses another stage's run, another model and other settings, each in its own words", () => {
    const other = runJson({ format: "datagen-y-run/1", fingerprint: "f1" });
    expect(() => checkResumable(other, dir, expectation)).toThrow(/another stage \(datagen-y-run\/1\)/);
    const model = runJson({ format: "datagen-x-run/1", fingerprint: "f1", model: { identity: "model-b" } });
    expect(() => checkResumable(model, dir, expectation)).toThrow(new UsageError("model model-b is not model-a"));
    const settings = runJson({ format: "datagen-x-run/1", fingerprint: "f2", model: { identity: "model-a" } });
    expect(() => checkResumable(settings, dir, expectation)).toThrow(new UsageError("other settings"));
  });

  it("trusts a run.json without a fingerprint or format only when the stage is not strict", () => {
    const bare = runJson({ status: "running" });
    expect(() => checkResumable(bare, dir, expectation)).not.toThrow();
    expect(() => checkResumable(bare, dir, { ...expectation, strict: true })).toThrow(/another stage \(undefined\)/);
    expect(() => checkResumable(bare, dir, { ...expectation, format: undefined, strict: true })).toThrow(new UsageError("other settings"));
  });
});
