// tune() options: validated before any native work, with the study's defaults.
import { z } from 'zod';

export const STOP_REASONS = ['running', 'patience', 'budget', 'diverged', 'converged', 'aborted'] as const;
export type StopReason = (typeof STOP_REASONS)[number];

const positiveInt = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be an integer`).positive(`${what} must be at least 1`);

export const TuneOptionsSchema = z
  .object({
    method: z.enum(['soft', 'hard', 'hybrid'], { error: "method must be 'soft', 'hard' or 'hybrid'" }).default('soft'),
    /** hybrid: one letter per position, H hard, S soft (e.g. HHSSS) */
    pattern: z.string().optional(),
    prefixLength: positiveInt('prefixLength').max(512, 'prefixLength must be at most 512').default(5),
    inits: positiveInt('inits').default(5),
    lr: z
      .number({ error: 'lr must be a number' })
      .refine((v) => Number.isFinite(v) && v > 0, 'lr must be a finite number above 0')
      .default(0.1),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    weightDecay: z.number().min(0, 'weightDecay must be at least 0').default(0),
    maxEpochs: positiveInt('maxEpochs').default(500),
    patience: positiveInt('patience').default(20),
    candidates: positiveInt('candidates').max(512, 'candidates must be at most 512').default(1),
    convergedNats: z.number().min(0).optional(),
    seed: z.number().int('seed must be an integer').min(0, 'seed must be at least 0').default(0),
    batchSize: z.union([positiveInt('batchSize'), z.literal('auto')]).default('auto'),
    init: z.enum(['tokens', 'gaussian']).default('tokens'),
    /** epochs per native call: rows that stop are replaced at these boundaries */
    chunkEpochs: positiveInt('chunkEpochs').default(4),
    /** ban special tokens (default) and optionally tokens that are not printable text */
    ban: z.enum(['none', 'special', 'special+nonprintable']).default('special'),
    returnSoftPrompt: z.boolean().default(false),
    /**
     * soft only: every epoch runs over every slot (stopped and empty ones masked out), so its
     * shapes never change and it never waits for the host; what cudaGraph captures
     */
    fixedShapes: z.boolean().default(false),
    /** soft, CUDA only: capture the fixed-shape epoch once as a CUDA graph and replay it (implies fixedShapes) */
    cudaGraph: z.boolean().default(false),
    /**
     * rows run in fixed groups of batchSize in the order given (no refill mid-group, no halving on
     * out of memory), so that on the same device, dtype and thread count a row's result is bitwise
     * the same in every run of its group; needs a fixed batchSize
     */
    deterministic: z.boolean().default(false),
  })
  .superRefine((o, ctx) => {
    if (o.deterministic && o.batchSize === 'auto') {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: "deterministic needs a fixed batchSize (a number, not 'auto'): it sets which rows batch together" });
    }
    for (const key of ['fixedShapes', 'cudaGraph'] as const) {
      if (o[key] && o.method !== 'soft') ctx.addIssue({ code: 'custom', path: [key], message: `${key} is for method 'soft' only (not '${o.method}')` });
    }
    if (o.method === 'hybrid') {
      if (!o.pattern) ctx.addIssue({ code: 'custom', path: ['pattern'], message: "hybrid needs a pattern such as 'HHSSS'" });
      else if (!/^[HS]+$/.test(o.pattern)) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern '${o.pattern}' may hold only H and S` });
      else if (o.pattern.length !== o.prefixLength)
        ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern '${o.pattern}' has ${o.pattern.length} positions but prefixLength is ${o.prefixLength}` });
    } else if (o.pattern !== undefined) {
      const want = (o.method === 'soft' ? 'S' : 'H').repeat(o.prefixLength);
      if (o.pattern !== want) ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern is only for hybrid; ${o.method} uses ${want}` });
    }
  });

export type TuneSettings = z.output<typeof TuneOptionsSchema>;

export class TuneOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TuneOptionsError';
  }
}

export function parseTuneOptions(input: unknown): TuneSettings & { pattern: string } {
  const r = TuneOptionsSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(options)'}: ${i.message}`);
    throw new TuneOptionsError(`invalid tune options:\n${lines.join('\n')}`);
  }
  const o = r.data;
  const pattern = o.method === 'hybrid' ? o.pattern! : (o.method === 'soft' ? 'S' : 'H').repeat(o.prefixLength);
  return { ...o, pattern };
}
