// The flags of the benchmarks that run each method on each model (methods.ts, profile.ts,
// stalled.ts): where, in which dtype, which models and methods, at the study's prompt length,
// and each script's own flags beside them.
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { methodsArg } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR, QUICK, type Flags, type FlagTable } from './flags.js';

export function methodBenchArgs<const T extends FlagTable>(o: {
  script: string;
  models: string;
  quickModels: string;
  methods: string;
  flags: T;
}) {
  const table = {
    ...modelsFlag({ default: o.models, quick: o.quickModels }),
    '--methods': { takes: 'list', default: o.methods, about: 'method labels (soft, hard:k=8, hybrid:HHSSS)' },
    ...DEVICE,
    ...DTYPE,
    ...QUICK,
    ...OUT_DIR,
  } as const satisfies FlagTable;
  const a = args(o.script, { ...table, ...o.flags });
  // The shared flags read through their table's types, which the script's own (T) would leave open.
  const common: Flags<typeof table> = a;
  const positions = STUDY_DEFAULTS.prefixLength;
  return {
    a,
    quick: common.has('--quick'),
    device: common.text('--device'),
    dtype: common.word('--dtype'),
    models: common.list('--models'),
    positions,
    methods: methodsArg(common.list('--methods'), positions, a.refuse),
  };
}
