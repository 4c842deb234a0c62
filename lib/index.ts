// The public library entry: what TypeScript users script against.
export { loadModel, type LoadOptions } from './model/load.js';
export { Model, type ModelInfo, type ForwardInput } from './model/model.js';
export { PRESETS, presetNames } from './model/presets.js';
export { configFromHf, ModelConfigError, SUPPORTED_MODEL_TYPES } from './model/config.js';
export { native } from './native/index.js';
export { buildInfo } from './model/build.js';
export { klDivergence, hotflipTopK, type KlInput, type HotflipInput } from './kernels.js';
export { tune, TuneRun, type TuneOptions, type TuneProgress, type TuneRecord, type TuneRow } from './tune/index.js';
export { entropyBits, klNats, outlierMassBound, validateTargets, TargetError } from './targets/index.js';
export { synthesizeTargets, type TargetSet, type TargetMeta } from './targets/synthesize.js';
export { runSweep, type SweepOptions, type SweepSummary } from './run/sweep.js';
export { estimateSweep, type EstimateOptions, type MethodEstimate, type SweepEstimate } from './run/estimate.js';
export { estimateStudy, type StudyEstimate, type StudyEstimateOptions } from './run/estimate-study.js';
export { keptRows, type KeptFile, type KeptRows } from './run/kept.js';
export { parseSpec, specFromFlags, SpecError, type SweepSpec } from './spec/index.js';
export { readResults, ResultWriter, type RunRecord } from './results/index.js';
export { mergeResults } from './run/merge.js';
export { plotAll, report } from './plot/index.js';
export { runStudy, type StudyOptions, type StudySummary } from './run/study.js';
export { computeFindings, type Finding, type Verdict } from './study/findings.js';
export {
  headBound,
  headBoundOf,
  BoundOptionsError,
  type HeadBoundRecord,
  type HeadSpec,
  type BoundOptions,
} from './bound/index.js';
