// The public library entry: what TypeScript users script against. Every type a public function
// takes or returns is exported here too, so a script can name it (test/package-types.test.ts),
// and so is every error class a call can throw, so a script can tell them apart with instanceof.
export { loadModel, type LoadOptions } from './model/load.js';
export { Model, type ModelInfo, type ForwardInput, type ModelTokenizer } from './model/model.js';
export { type RowsToFit } from './model/size-check.js';
export { PRESETS, presetNames, type Preset } from './model/presets.js';
export { configFromHf, ModelConfigError, SUPPORTED_MODEL_TYPES } from './model/config.js';
export { ArgumentError } from './io/argument-error.js';
export { NativeError, DisposedError } from './native/errors.js';
export { CheckpointError, type CheckpointErrorCode } from './checkpoint/errors.js';
export { type FileStamp } from './checkpoint/safetensors.js';
export { HubError, type HubErrorCode } from './hub/errors.js';
export { TokenizerError } from './tokenizer/types.js';
export { FileError } from './io/fs-error.js';
export { exitCodeFor } from './io/exit-code.js';
// A message's parts, where it names an option (an issue's `said`): a script reads `batchSize`, the CLI `--batch-size`.
export type { CommandLineWords, OptionWord, Part, Said } from './io/said.js';
// The addon's own types: native() is the addon itself, and Model.native a loaded model in it.
export { native, type Addon } from './native/index.js';
export type {
  BuildInfo,
  KernelChoice,
  MemoryStats,
  ModelAddon,
  NativeCancelFlag,
  NativeCheckpointFile,
  NativeDtype,
  NativeForwardArgs,
  NativeLoadSpec,
  NativeModel,
  NativeModelConfig,
  NativeTensor,
  NativeTensorEntry,
} from './native/types-model.js';
export type { KernelAddon } from './native/types-kernels.js';
export type { NativeEntropyTargets, NativeTargetRowStats, TargetAddon } from './native/types-targets.js';
export type {
  NativeHarvest,
  NativeStepReport,
  NativeTuner,
  NativeTunerOptions,
  TunerAddon,
} from './native/types-tuner.js';
export type { BoundAddon, NativeBoundOptions, NativeBoundResult } from './native/types-bound.js';
export { buildInfo } from './model/build.js';
export { klDivergence, hotflipTopK, type KlInput, type HotflipInput } from './kernels.js';
export {
  tune,
  TuneRun,
  type TuneOptions,
  type TuneProgress,
  type TuneRecord,
  type TuneRow,
  type TuneRunEvents,
} from './tune/index.js';
export { TuneOptionsError } from './spec/tune-options.js';
export { type StopReason, type RecordStopReason } from './tune/stop-reasons.js';
export { type TuneTargets, type TargetSetLike } from './tune/targets-input.js';
export { entropyBits, klNats, outlierMassBound, validateTargets, TargetError, TargetStore } from './targets/index.js';
export { type ValidateOptions } from './targets/validate.js';
export { synthesizeTargets, type SynthesisRequest, type TargetSet, type TargetMeta } from './targets/synthesize.js';
export { type GridInput } from './spec/grid.js';
export { runSweep, type SweepOptions, type SweepSummary } from './run/sweep.js';
// What runSweep's and runStudy's `events` get with 'progress' (the third and second argument).
export { type SweepProgress, type StudySweepProgress, type StudyPlace } from './run/sweep-progress.js';
export { estimateSweep, type EstimateOptions, type MethodEstimate, type SweepEstimate } from './run/estimate.js';
export { type EpochCost } from './run/estimate-batching.js';
export {
  estimateStudy,
  type StudyEstimate,
  type StudyEstimateOptions,
  type StudySweepEstimate,
} from './run/estimate-study.js';
export { keptAtStart, keptRows, type KeptFile, type KeptRows } from './run/kept.js';
export { LockedError } from './run/lock.js';
export { parseSpec, specFromFlags, SpecError, type Shard, type SweepSpec, type SweepSpecInput } from './spec/index.js';
export { type SpecIssue } from './spec/errors.js';
export { type SweepFlags } from './spec/parse.js';
export {
  readResults,
  ResultWriter,
  ResultsError,
  OutputTakenError,
  ResumeMismatchError,
  type RunRecord,
  type StoredRunRecord,
  type Results,
  type ResultMetadata,
  type StoredMetadata,
  type FinishOptions,
  type Resumed,
} from './results/index.js';
export { mergeResults, type MergeOptions, type MergeReport } from './run/merge.js';
export { type PlanOptions } from './sweep/targets.js';
// From their own files, not plot/index.ts: the figures' builders it also exports are typed by
// vega-lite, whose declarations a strict consumer's compiler refuses.
export { plotAll, type PlotInput, type WrittenFigure } from './plot/plot-all.js';
export { type FigureOptions } from './plot/figure-options.js';
export { report, type ReportOptions } from './plot/report.js';
export { type AnalysisRecord } from './analysis/best.js';
export { runStudy, type StudyOptions, type StudySummary } from './run/study.js';
export { type SweepOutcome } from './study/summary.js';
export { type StudyFigure } from './study/study-figure.js';
export { StudyError } from './study/catalog.js';
export {
  computeFindings,
  type ExperimentResults,
  type Finding,
  type SkippedExperiment,
  type Verdict,
} from './study/findings.js';
export {
  headBound,
  headBoundOf,
  BoundOptionsError,
  type HeadBoundRecord,
  type BottleneckStatus,
  type HeadSpec,
  type BoundOptions,
} from './bound/index.js';
