// Shards from the schedulers users already have: Slurm job arrays and Kubernetes Indexed Jobs
// tell each task its index through the environment; distprompt only reads it.

import { SpecError } from '../spec/errors.js';
import type { Shard } from '../spec/schema.js';

export interface EnvShard extends Shard {
  /** Where it came from, for the log line ('SLURM_ARRAY_TASK_ID', 'JOB_COMPLETION_INDEX'). */
  source: string;
}

function intVar(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new SpecError([{ path: 'shard', message: `${name}='${raw}' is not an integer >= 0` }]);
  return n;
}

/**
 * The shard given by the environment, or undefined when no scheduler variable is set.
 * - Slurm: index = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (arrays may start at 1),
 *   count = SLURM_ARRAY_TASK_COUNT (or `count`, which must agree).
 * - Kubernetes Indexed Job: index = JOB_COMPLETION_INDEX, count = `count` or
 *   DISTPROMPT_SHARD_COUNT (Kubernetes does not export the Job's completions).
 */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env, count?: number): EnvShard | undefined {
  const fail = (message: string): never => {
    throw new SpecError([{ path: 'shard', message }]);
  };
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    fail(`shard count must be an integer >= 1, got ${count}`);
  const envCount = intVar(env, 'DISTPROMPT_SHARD_COUNT');
  const slurmId = intVar(env, 'SLURM_ARRAY_TASK_ID');
  let shard: EnvShard | undefined;
  if (slurmId !== undefined) {
    const min = intVar(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
    const slurmCount = intVar(env, 'SLURM_ARRAY_TASK_COUNT');
    const n = count ?? slurmCount ?? envCount;
    if (n === undefined)
      fail(
        'SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --shard-count N (or --shard i/N), or set DISTPROMPT_SHARD_COUNT',
      );
    if (count !== undefined && slurmCount !== undefined && count !== slurmCount) {
      fail(`shard count ${count} disagrees with SLURM_ARRAY_TASK_COUNT=${slurmCount}`);
    }
    shard = { index: slurmId - min, count: n!, source: 'SLURM_ARRAY_TASK_ID' };
    if (shard.index < 0) fail(`SLURM_ARRAY_TASK_ID=${slurmId} is below SLURM_ARRAY_TASK_MIN=${min}`);
  } else {
    const k8sIndex = intVar(env, 'JOB_COMPLETION_INDEX');
    // A count with no index to count (a pod outside an Indexed Job, or a base image's variable) would
    // have every task run the whole sweep, as --shard-count without an index would.
    if (k8sIndex === undefined && envCount !== undefined)
      fail(
        `DISTPROMPT_SHARD_COUNT=${envCount} is set, and no scheduler sets a shard index (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID): give --shard i/N, or unset DISTPROMPT_SHARD_COUNT to run the whole sweep`,
      );
    if (k8sIndex === undefined) return undefined;
    const n = count ?? envCount;
    if (n === undefined)
      fail(
        "JOB_COMPLETION_INDEX is set but the shard count is unknown (Kubernetes does not tell a pod): set DISTPROMPT_SHARD_COUNT to the Job's completions, or pass --shard-count N",
      );
    shard = { index: k8sIndex, count: n!, source: 'JOB_COMPLETION_INDEX' };
  }
  if (shard.count < 1) fail(`shard count must be >= 1, got ${shard.count} (from ${shard.source})`);
  if (shard.index >= shard.count)
    fail(
      `shard index ${shard.index} (from ${shard.source}) must be < count ${shard.count}; ${
        shard.source === 'JOB_COMPLETION_INDEX'
          ? "the count (DISTPROMPT_SHARD_COUNT or --shard-count) must be the Job's completions"
          : 'with a sparse Slurm array (--array=0,4,9) use --shard i/N'
      }`,
    );
  return shard;
}
