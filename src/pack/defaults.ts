// pack's defaults, apart from the stage: `datagen` registers every command at start and only
// `datagen pack` should load the packer.

export const DEFAULT_SEQ_LEN = 131_072;
export const DEFAULT_PACK_WINDOW = 20_000;
export const DEFAULT_SHARD_SAMPLES = 1024;
