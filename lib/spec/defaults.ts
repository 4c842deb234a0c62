// The study's settings, stated once. The sweep spec and tune() schemas default to these, the
// CLI help prints them, the README's defaults table is checked against them, and the native
// tuner is handed every one explicitly (it has none of its own that could disagree). Nothing
// here loads the schemas' validator: the help reads these values as they are.

/** The study's defaults: what a sweep spec or tune() call runs with when a field is left out. */
export const STUDY_DEFAULTS = {
  /** searched prompt positions */
  prefixLength: 5,
  /** initialisations (seeds) per target */
  inits: 5,
  /** AdamW learning rate of soft positions */
  lr: 0.1,
  /** epoch budget per row */
  maxEpochs: 500,
  /** epochs without a new minimum before a row stops */
  patience: 20,
  /** AdamW first-moment decay */
  beta1: 0.9,
  /** AdamW second-moment decay */
  beta2: 0.999,
  /** AdamW denominator epsilon */
  eps: 1e-8,
  /** AdamW decoupled weight decay */
  weightDecay: 0,
  /** HotFlip candidates evaluated per hard position (1 = the linearised argmin) */
  candidates: 1,
  /** how a row's first prompt is drawn: random allowed tokens, or Gaussian embeddings */
  init: 'tokens' as 'tokens' | 'gaussian',
  /** epochs per native call; stopped rows are replaced at these boundaries */
  chunkEpochs: 4,
} as const;

/**
 * Target synthesis: a vanilla or outlier target's entropy is within epsBits of the one asked for,
 * on the grid entropyBits where its entry gives none; a vanilla target is made by vanillaMethod.
 */
export const TARGET_DEFAULTS = { epsBits: 0.01, entropyBits: '0:max:0.05', vanillaMethod: 'gradient' } as const;

/** tune()'s settings that are not the study's: the seed, and the rows on the device at once. */
export const TUNE_DEFAULTS = { seed: 0, batchSize: 'auto' } as const;

/** A sweep spec's fields beyond the tuning ones (STUDY_DEFAULTS, TUNE_DEFAULTS), where it leaves them out. */
export const SPEC_DEFAULTS = {
  model: 'random:tiny-gpt2',
  device: 'cpu',
  dtype: 'float32' as const,
  targets: [
    {
      kind: 'vanilla' as const,
      entropyBits: TARGET_DEFAULTS.entropyBits,
      method: TARGET_DEFAULTS.vanillaMethod,
      eps: TARGET_DEFAULTS.epsBits,
      samples: 1,
    },
  ],
  methods: [{ method: 'soft' as const }],
  output: 'results.arrow',
};

export type StudyDefaults = typeof STUDY_DEFAULTS;
export type StudyDefaultKey = keyof StudyDefaults;

/**
 * The quick demo run: `distprompt sweep` with no spec. The study scaled to a small machine, as
 * overrides of STUDY_DEFAULTS: vanilla targets every half bit from 0 to log2|V| on the demo model
 * (GPT-2's vocabulary), soft prompts, 3 inits each and a 300-epoch budget (its time on 2 cores:
 * README, "Command line"). Every other field is the study's.
 */
export const QUICK_DEMO_SWEEP = {
  model: 'random:demo',
  targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5', method: 'temperature' }],
  methods: [{ method: 'soft' as const }],
  inits: 3,
  maxEpochs: 300,
};

/** `distprompt tune` is for a few targets at a glance: fewer inits than the study. */
export const QUICK_TUNE = { inits: 3 } as const satisfies Partial<Record<StudyDefaultKey, number>>;

/** A CLI option's description with its default appended, as commander would print it. */
export function withDefault(description: string, value: string | number): string {
  return `${description} (default: ${value})`;
}
