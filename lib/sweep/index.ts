// The planner: spec → targets → rows, shards and resume.
export { fnv1a64, stableSeed } from '../ids/hash.js';
export { rowId, rowSeed, targetSeed, type MethodOf } from '../ids/rows.js';
export { formatBits, planTargets, type PlanOptions, type TargetPlan } from './targets.js';
export {
  planRows,
  planSweep,
  planSweepYielding,
  remainingGroups,
  remainingRows,
  rowsByMethod,
  rowsByMethodYielding,
  rowsOfShard,
  rowsToRun,
  rowsToRunYielding,
  shardGroups,
  shardRows,
  type RowPlan,
  type SweepPlan,
} from './planner.js';
export { shardFromEnv, type EnvShard } from './shard-env.js';
