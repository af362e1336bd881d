// The long-context part of a generate run: which conversations are long (the pipeline's share,
// spread evenly over the run order), each one's job from the length mix, and per band the records,
// rejects, wall seconds and the process's peak memory while that band's records were in flight
// (run.json "long_context"; exact per band with concurrency 1).
import { planLongJobs, type BandId, type LongJob } from "../longctx/bands.js";
import { existsSync, statSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { thinkingTokens, type GenerateConfig } from "./config.js";

interface BandFigures {
  records: number;
  rejects: number;
  aborted: number;
  seconds: number;
  /** Process CPU seconds while the band's records ran (exact per band with concurrency 1; steadier than wall time on a busy machine). */
  cpu_seconds: number;
  peak_rss_mib: number;
  max_target_tokens: number;
}

const RSS_SAMPLE_MS = 200;

export class LongRun {
  private readonly jobs: LongJob[];
  private readonly bands = new Map<BandId, BandFigures>();
  private readonly inFlight = new Map<number, BandId>();
  private sampler: NodeJS.Timeout | undefined;
  private nextToken = 0;

  private constructor(
    readonly config: GenerateConfig,
    private readonly share: number,
    total: number,
  ) {
    const long = config.longContext as NonNullable<GenerateConfig["longContext"]>;
    let count = 0;
    for (let n = 0; n < total; n++) if (this.isLong(n)) count++;
    this.jobs = planLongJobs(count, long, String(config.seed), long.seedSpace);
  }

  static maybe(config: GenerateConfig, total: number): LongRun | null {
    if (!config.longContext || config.longContext.share <= 0) return null;
    const thinking = (["low", "medium", "high"] as const).map((e) => thinkingTokens(config.maxTokens, e));
    const needed = 2 * Math.max(...thinking) + config.maxTokens.final;
    if (config.longContext.answerBudget < needed) {
      throw new UsageError(
        `${config.pipelineFile}: longContext.answerBudget ${config.longContext.answerBudget} is less than twice maxTokens.thinking ` +
          `(before the call and before the answer) + maxTokens.final (${needed})`,
      );
    }
    // Checked before any model loads: a payload kind needing a corpus, and the corpus itself.
    if (config.longContext.payloads?.includes("haystack") && !config.haystack) {
      throw new UsageError(
        `${config.pipelineFile}: longContext.payloads lists "haystack", which reads --haystack DIR; give --haystack or drop it`,
      );
    }
    if (config.haystack && !(existsSync(config.haystack) && statSync(config.haystack).isDirectory()))
      throw new UsageError(`--haystack ${config.haystack}: not a folder`);
    return new LongRun(config, config.longContext.share, total);
  }

  /** Conversation n (run order) is long when the share's running count steps up at n. */
  private isLong(n: number): boolean {
    return Math.floor((n + 1) * this.share) > Math.floor(n * this.share);
  }

  /** The long job of the conversation at `n` in the plan's run order, if it is a long one. */
  jobFor(n: number): LongJob | undefined {
    return this.isLong(n) ? this.jobs[Math.floor(n * this.share)] : undefined;
  }

  start(job: LongJob): { end(outcome: "written" | "rejected" | "aborted"): void } {
    const figures = this.figures(job.band);
    figures.max_target_tokens = Math.max(figures.max_target_tokens, job.targetTokens);
    const token = this.nextToken++;
    this.inFlight.set(token, job.band);
    this.sampler ??= setInterval(() => this.sample(), RSS_SAMPLE_MS).unref();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    return {
      end: (outcome) => {
        this.sample();
        this.inFlight.delete(token);
        figures.seconds += (performance.now() - started) / 1000;
        const cpu = process.cpuUsage(cpuStarted);
        figures.cpu_seconds += (cpu.user + cpu.system) / 1e6;
        if (outcome === "written") figures.records++;
        else if (outcome === "rejected") figures.rejects++;
        else figures.aborted++;
      },
    };
  }

  private figures(band: BandId): BandFigures {
    let f = this.bands.get(band);
    if (!f)
      this.bands.set(band, (f = { records: 0, rejects: 0, aborted: 0, seconds: 0, cpu_seconds: 0, peak_rss_mib: 0, max_target_tokens: 0 }));
    return f;
  }

  private sample(): void {
    const mib = Math.round(process.memoryUsage.rss() / 2 ** 20);
    for (const band of this.inFlight.values()) {
      const f = this.figures(band);
      f.peak_rss_mib = Math.max(f.peak_rss_mib, mib);
    }
  }

  report(): Record<string, BandFigures> {
    return Object.fromEntries(
      [...this.bands]
        .sort((a, b) => a[1].max_target_tokens - b[1].max_target_tokens)
        .map(([band, f]) => [band, { ...f, seconds: Math.round(f.seconds * 10) / 10, cpu_seconds: Math.round(f.cpu_seconds * 10) / 10 }]),
    );
  }

  close(): void {
    if (this.sampler) clearInterval(this.sampler);
  }
}
