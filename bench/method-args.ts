// The flags of the benchmarks that run each method on each model (methods.ts, profile.ts): where,
// in which dtype, which models and methods, at the study's prompt length; --help prints the
// script's usage instead of running it.
import type { NativeDtype } from '../lib/native/types-model.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { args, methodsArg } from './common.js';

export function methodBenchArgs(o: { usage: string; models: string; quickModels: string; methods: string }) {
  const a = args();
  if (a.has('--help')) {
    console.log(o.usage);
    process.exit(0);
  }
  const quick = a.has('--quick');
  const positions = STUDY_DEFAULTS.prefixLength;
  return {
    a,
    quick,
    device: a.get('--device', 'cpu'),
    dtype: a.get('--dtype', 'float32') as NativeDtype,
    models: a.list('--models', quick ? o.quickModels : o.models),
    positions,
    methods: methodsArg(a.list('--methods', o.methods), positions),
  };
}
