// The flags of the benchmarks that run each method on each model (methods.ts, profile.ts,
// stalled.ts): where, in which dtype, which models and methods, at the study's prompt length,
// and each script's own flags beside them.
import type { NativeDtype } from '../lib/native/types-model.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { methodsArg } from './common.js';
import { args, DEVICE, DTYPE, OUT_DIR, QUICK, type FlagTable } from './flags.js';

export function methodBenchArgs<const T extends FlagTable>(o: {
  script: string;
  models: string;
  quickModels: string;
  methods: string;
  flags: T;
}) {
  const a = args(o.script, {
    '--models': { takes: 'list', default: o.models, quick: o.quickModels, about: 'the models, each a preset or path' },
    '--methods': { takes: 'list', default: o.methods, about: 'method labels (soft, hard:k=8, hybrid:HHSSS)' },
    ...DEVICE,
    ...DTYPE,
    ...QUICK,
    ...OUT_DIR,
    ...o.flags,
  });
  const positions = STUDY_DEFAULTS.prefixLength;
  return {
    a,
    quick: a.has('--quick'),
    device: a.text('--device'),
    dtype: a.text('--dtype') as NativeDtype,
    models: a.list('--models'),
    positions,
    methods: methodsArg(a.list('--methods'), positions, a.refuse),
  };
}
