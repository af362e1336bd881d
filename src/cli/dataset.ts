#!/usr/bin/env node
// `dataset`: inspect datasets (stats report, verify).
import { Command } from "commander";
import { runProgram } from "./run.js";

const program = new Command("dataset")
  .description("Inspect datasets: statistics reports and packed-dataset verification.")
  .version("0.1.0")
  .showHelpAfterError()
  // Before any subcommand is added: commander copies these settings to subcommands at creation.
  .exitOverride()
  .configureOutput({ outputError: (str, write) => write(str) });

// Command registrations (one line each).
import { register as registerStats } from "./commands/stats.js";
import { register as registerVerify } from "./commands/verify.js";
registerStats(program);
registerVerify(program);

await runProgram(program);
