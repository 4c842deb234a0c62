// The sweep spec: schema, parsing from JSON or flags, grid expansion, hashing.
export { runDevice, type RunDevice } from './devices.js';
export { SpecError, type SpecIssue } from './errors.js';
export { expandGrid, maxEntropyBits, parseRange, type GridInput, type GridRange } from './grid.js';
export {
  methodLabel,
  parseMethodLabel,
  resolveMethod,
  type MethodEntry,
  type MethodName,
  type ResolvedMethod,
} from './methods.js';
export {
  canonicalJson,
  parseSpec,
  resolveGrids,
  resolveGrids as grid,
  resolveMethods,
  scientificSpec,
  specChange,
  specDifferences,
  specFromFlags,
  SWEEP_FLAGS,
  specHash,
  type ResolvedTarget,
  type SweepFlags,
} from './parse.js';
export {
  POS_TAGS,
  SweepSpecSchema,
  TARGET_KINDS,
  type MethodSpec,
  type Shard,
  type SweepSpec,
  type SweepSpecInput,
  type TargetKind,
  type TargetSpec,
} from './schema.js';
