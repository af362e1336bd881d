// The default hyperparameters, apart from the trainer: `datagen` registers every command at start
// and only `datagen train` should load the trainer's modules.

/** The model card's recipe (kappa_20b_131k): AdamW, warmup 20, cosine over the last half to 0.3 x lr. */
export const RECIPE = {
  lr: 1e-5,
  warmup: 20,
  decayRatio: 0.5,
  minLrFactor: 0.3,
  weightDecay: 0.01,
  clip: 1.0,
  gradAccum: 1,
  seed: 0,
} as const;
