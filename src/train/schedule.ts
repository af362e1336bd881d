// The learning-rate schedule of the bundled trainer (trainer/adamw.h lr_at), for checks made before
// a run: torchtitan's linear_warmup_stable_decay, where the warmup is a number of steps (not a
// fraction of the run, as TRL's warmup_ratio), and the decay is cut to fit after it.

export interface ScheduleParams {
  lr: number;
  warmup: number;
  decayRatio: number;
  minLrFactor: number;
}

/** Python's round(): half to even (441 * 0.5 -> 220), as the trainer's nearbyint. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The learning rate of 0-indexed step `step` of `steps`. */
export function lrAt(h: ScheduleParams, step: number, steps: number): number {
  const warmup = Math.max(0, h.warmup);
  let decay = roundHalfEven(steps * h.decayRatio);
  if (warmup + decay > steps) decay = Math.max(0, steps - warmup);
  const decayStart = steps - decay;
  if (step < warmup) return (h.lr * (step + 1)) / (warmup + 1);
  if (step < decayStart || decay === 0) return h.lr;
  const progress = (step + 1 - decayStart) / (decay + 1);
  return h.lr * (h.minLrFactor + (1 - h.minLrFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/**
 * A warning when no step of the run trains at the peak --lr: the warmup (and the decay cut to fit
 * after it) take every step. The recipe's warmup of 20 steps is meant for runs of hundreds of steps;
 * it stays a step count, as torchtitan users expect, and the user is told instead of it changing.
 */
export function scheduleWarning(h: ScheduleParams, steps: number): string | undefined {
  if (h.lr <= 0 || steps <= 0) return undefined;
  let best = 0;
  let bestStep = 0;
  for (let i = 0; i < steps; i++) {
    const lr = lrAt(h, i, steps);
    if (lr > best) [best, bestStep] = [lr, i];
  }
  if (best >= h.lr * (1 - 1e-9)) return undefined;
  const suggestion = Math.max(1, Math.floor(steps / 10));
  return (
    `warning: with --warmup ${h.warmup} and --steps ${steps} the learning rate never reaches --lr ${h.lr} ` +
    `(highest: ${((100 * best) / h.lr).toFixed(0)} % of it, at step ${bestStep + 1}); the warmup counts steps (torchtitan's schedule), ` +
    `so a short run needs a shorter one, e.g. --warmup ${suggestion}`
  );
}
