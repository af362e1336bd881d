// pack's defaults, apart from the stage: `datagen` registers every command at start and only
// `datagen pack` should load the packer.

export const DEFAULT_SEQ_LEN = 131_072;
export const DEFAULT_PACK_WINDOW = 20_000;
export const DEFAULT_SHARD_SAMPLES = 1024;
/**
 * The longest sample the format supports (2^20 tokens, 8 x gpt-oss's 131,072 context): a sample's
 * buffers and the packer's capacity index are sized by it, and schemas/manifest.schema.json
 * refuses a manifest claiming more.
 */
export const MAX_SEQ_LEN = 1_048_576;
/**
 * Inputs this large (or stdin) are rendered on worker threads by default (pack and verify
 * --source); smaller ones render on the main thread. On 2 cores the two cross between 16 MiB
 * (cores busy) and 48 MiB (idle); 32 MiB, as validate's threshold (bench/pack/threads.ts,
 * docs/BENCHMARKS.md "Render threads").
 */
export const RENDER_THREADS_FROM_BYTES = 32 << 20;
