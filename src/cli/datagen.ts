#!/usr/bin/env node
// `datagen`: parse options and wire stages; each command lives in its own module under commands/.
import { Command } from "commander";
import { runProgram } from "./run.js";
import { register as registerImport } from "./commands/import.js";
import { register as registerValidate } from "./commands/validate.js";
import { register as registerRender } from "./commands/render.js";
import { register as registerPack } from "./commands/pack.js";
import { register as registerModel } from "./commands/model.js";
import { register as registerGenerate } from "./commands/generate.js";
import { register as registerTrain } from "./commands/train.js";
import { register as registerExport } from "./commands/export.js";
import { register as registerEval } from "./commands/eval.js";
import { register as registerJudge } from "./commands/judge.js";

const program = new Command("datagen")
  .description("Build persona tool-calling fine-tuning datasets for GPT-OSS models: generate, validate, render, pack, train.")
  .version("0.1.0")
  .showHelpAfterError()
  // Before any subcommand is added: commander copies these settings to subcommands at creation.
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

// Command registrations (one line each; keep sorted by pipeline order).
registerGenerate(program);
registerJudge(program);
registerImport(program);
registerValidate(program);
registerRender(program);
registerPack(program);
registerExport(program);
registerTrain(program);
registerEval(program);
registerModel(program);

await runProgram(program);
