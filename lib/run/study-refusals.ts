// What a study says when one of its sweeps is refused at its start, in the study's own words (its
// flags, not a sweep spec's fields): the same for the run and for its plan.
import { onCommandLine, option, said } from '../io/said.js';
import { OutputTakenError, ResumeMismatchError } from '../results/index.js';
import { runDevice } from '../spec/index.js';
import { StudyError } from '../study/catalog.js';
import {
  DamagedShardError,
  damagedShard,
  partlyRunAgain,
  ShardsRunAgainError,
  type ShardWords,
} from './shards-told.js';

/**
 * A study runs a shard again by its own command with the shard (its folder names each sweep's
 * shard files): every sweep's shard, not the one sweep's.
 */
export const STUDY_WORDS: ShardWords = {
  shard: (i, n) =>
    said`shard ${i}/${n}: ${onCommandLine('this command', 'this call')} with ${option('shard', `${i}/${n}`)} and ${option('overwrite', true)} (it runs shard ${i}/${n} of each of the study's sweeps again)`,
  whole: "the study's sweeps again",
};

/** `e` as the study tells it, where it is a refusal a study's flags answer; else `e` itself. */
export function studySweepRefusal(e: unknown, output: string, outDir: string): unknown {
  // Shard files the study cannot merge as they are: named with the study's command for a shard.
  if (e instanceof ShardsRunAgainError) return new StudyError(partlyRunAgain(e.out, e.partly, STUDY_WORDS));
  if (e instanceof DamagedShardError) return new StudyError(damagedShard(e.damage, e.out, e.files, STUDY_WORDS));
  if (e instanceof OutputTakenError && e.finished)
    return new StudyError(
      said`${e.path ?? output} exists: add ${option('resume', true)} to keep finished sweeps (and continue the rest), or ${option('overwrite', true)} to run them again`,
    );
  // The spec's fields name what differs; the user typed flags, so the flags are named too.
  if (e instanceof ResumeMismatchError && e.specDiffers)
    return new StudyError(
      said`${e.what}. A study's sweep specs come from its study files (${option('studiesDir')}), ${option('scale')}, ${option('seed')}, ${option('dtype')} and ${option('bound')}: resume with those of the run that wrote ${outDir}, or give another ${option('outDir')} (or ${option('overwrite', true)} to run it again)`,
    );
  return e;
}

/** The device a study's sweeps run on (runDevice), from its options as a run and its plan take them. */
export function studyDevice(o: {
  device?: string;
  devices?: readonly string[];
  shard?: { index: number; count: number };
}): string | undefined {
  const r = runDevice(o);
  if ('conflict' in r)
    throw new StudyError(
      said`${option('devices')} names one device, ${r.conflict.devices}, and ${option('device')} another, ${r.conflict.device}: give one of them`,
    );
  if ('shardWithoutDevice' in r) {
    const { devices, shard } = r.shardWithoutDevice;
    throw new StudyError(
      said`${option('devices')} ${devices.join(',')} split each sweep into a shard per device, and this run is one shard of the study already (${option('shard')} ${shard.index}/${shard.count}), which runs on one device: give that device as ${option('device')}, or drop ${option('shard')}`,
    );
  }
  return r.device;
}
