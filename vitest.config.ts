import { defineConfig } from "vitest/config";

// Tests in tiers, one folder each (docs/ARCHITECTURE.md, "Tests"):
//   unit   pure functions and stages called in-process, with real parts (tokenizer, renderer, packer)
//   cli    the built program spawned as a user runs it (test/helpers/cli.ts runCli), no model loaded
//   model  runs that load a GGUF through node-llama-cpp or run the native trainer
//   fleet  runs against real llama-server processes (scripts/build-llama-server.sh builds it)
// `npm run test:fast` runs unit and cli; `npm test` runs every tier.
const tier = (name: string) => ({ extends: true as const, test: { name, include: [`test/${name}/**/*.test.ts`] } });

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // 2-core CI machine: model-loading suites must not all run at once.
    maxWorkers: 2,
    projects: [tier("unit"), tier("cli"), tier("model"), tier("fleet")],
  },
});
