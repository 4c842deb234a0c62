// What a study says when one of its sweeps is refused at its start, in the study's own words (its
// flags, not a sweep spec's fields): the same for the run and for its plan.
import { option, said } from '../io/said.js';
import { OutputTakenError, ResumeMismatchError } from '../results/index.js';
import { StudyError } from '../study/catalog.js';

/** `e` as the study tells it, where it is a refusal a study's flags answer; else `e` itself. */
export function studySweepRefusal(e: unknown, output: string, outDir: string): unknown {
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

/**
 * The device a study's sweeps run on, from its options as a run and its plan take them. One of
 * `devices` is that device (the sweeps would otherwise go to `device`'s default, the CPU). Several
 * split each sweep into a shard per device, which a run that is one `shard` of the study already
 * cannot do: it would run on `device` alone, so it must name it (as a device worker does).
 */
export function studyDevice(o: {
  device?: string;
  devices?: readonly string[];
  shard?: { index: number; count: number };
}): string | undefined {
  const devices = o.devices ?? [];
  if (devices.length === 1) {
    if (o.device !== undefined && o.device !== devices[0])
      throw new StudyError(
        said`${option('devices')} names one device, ${devices[0]}, and ${option('device')} another, ${o.device}: give one of them`,
      );
    return devices[0];
  }
  if (devices.length > 1 && o.shard && o.device === undefined)
    throw new StudyError(
      said`${option('devices')} ${devices.join(',')} split each sweep into a shard per device, and this run is one shard of the study already (${option('shard')} ${o.shard.index}/${o.shard.count}), which runs on one device: give that device as ${option('device')}, or drop ${option('shard')}`,
    );
  return o.device;
}
