// Command-line rules shared by `sweep` and `study`: flags that contradict each other are refused
// before any work. (A device worker's invalid input stays invalid input in the parent:
// lib/run/devices.ts.)
import { runDevice } from '../spec/devices.js';
import { shardFromEnv } from '../sweep/shard-env.js';
import { UsageError } from './exit.js';

interface RunFlags {
  devices?: string | string[];
  device?: string;
  shard?: string;
  resume?: boolean;
  overwrite?: boolean;
  plan?: boolean;
}

export function refuseContradictions(o: RunFlags, env = process.env): void {
  if (o.resume && o.overwrite)
    throw new UsageError(
      '--resume and --overwrite contradict each other: --resume keeps finished rows, --overwrite discards them; give one',
    );
  if (o.devices !== undefined && o.device !== undefined)
    throw new UsageError(`--devices ${String(o.devices)} gives every worker its device: drop --device ${o.device}`);
  if (o.devices !== undefined && o.shard !== undefined)
    throw new UsageError(
      `--devices ${String(o.devices)} shards the run across the devices itself: drop --shard ${o.shard}`,
    );
  // A scheduler's shard is --shard given by the environment: the run would be that one shard, on
  // --device's default (the CPU), with the devices dropped without a word.
  const fromEnv =
    o.devices !== undefined && o.shard === undefined && o.device === undefined ? envShard(env) : undefined;
  if (fromEnv && 'shardWithoutDevice' in runDevice({ devices: String(o.devices).split(','), shard: fromEnv }))
    throw new UsageError(
      `--devices ${String(o.devices)} shards the run across the devices itself, and ${fromEnv.source} makes this task shard ${fromEnv.index}/${fromEnv.count} already, which runs on one device: give it with --device (a device per task), or run the devices outside the ${fromEnv.source === 'JOB_COMPLETION_INDEX' ? 'Indexed Job' : 'job array'}`,
    );
}

/** The scheduler's shard, where its variables give one; one they give wrongly is told by shardText. */
function envShard(env: NodeJS.ProcessEnv): ReturnType<typeof shardFromEnv> {
  try {
    return shardFromEnv(env);
  } catch {
    return undefined;
  }
}

/**
 * A flag and its negation both typed (`--figures f --no-figures`, `--cuda-graph --no-cuda-graph`)
 * contradict each other as --resume and --overwrite do; the parser keeps the last without a word.
 * `args`: the command line as typed (process.argv less node and the script).
 */
export function refuseBothSpellings(args: readonly string[], flags: readonly string[]): void {
  const typed = (flag: string) => args.some((a) => a === flag || a.startsWith(`${flag}=`));
  for (const flag of flags) {
    const negation = `--no-${flag.slice(2)}`;
    if (typed(flag) && typed(negation)) throw new UsageError(`${flag} and ${negation} contradict each other: give one`);
  }
}

/**
 * The shard a run takes: --shard as given, else the scheduler's index from the environment
 * (Slurm, Kubernetes) with --shard-count as its count. --shard-count counts only such an index,
 * so it is refused beside --shard and where no scheduler variable is set (the run would otherwise
 * go ahead unsharded).
 */
export function shardText(o: { shard?: string; shardCount?: string }, env = process.env): string | undefined {
  if (o.shardCount === undefined) {
    if (o.shard !== undefined) return o.shard;
    const found = shardFromEnv(env);
    return found ? `${found.index}/${found.count}` : undefined;
  }
  const count = Number(o.shardCount);
  if (o.shardCount.trim() === '' || !Number.isInteger(count) || count < 1)
    throw new UsageError(`--shard-count must be an integer >= 1, got '${o.shardCount}'`);
  if (o.shard !== undefined)
    throw new UsageError(`--shard ${o.shard} gives the shard count itself: drop --shard-count ${o.shardCount}`);
  const found = shardFromEnv(env, count);
  if (!found)
    throw new UsageError(
      `--shard-count ${o.shardCount} counts the shard index a scheduler sets (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID), and none is set: give --shard i/N instead`,
    );
  return `${found.index}/${found.count}`;
}
