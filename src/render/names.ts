// The names of the render registries (DIALECTS in index.ts, MASK_MODES in mask.ts), in a module
// light enough for the CLI to offer them as choices without loading the renderer. The registries
// are typed by these names, so the two cannot drift apart.

export const DIALECT_NAMES = ["harmony", "hf"] as const;
export type Dialect = (typeof DIALECT_NAMES)[number];

export const MASK_MODE_NAMES = ["assistant", "last-turn", "final"] as const;
export type MaskMode = (typeof MASK_MODE_NAMES)[number];

/** How a record becomes training documents (docs/RENDERING.md, "Documents"). */
export const DOCUMENT_MODE_NAMES = ["auto", "turns", "conversation"] as const;
export type DocumentMode = (typeof DOCUMENT_MODE_NAMES)[number];
