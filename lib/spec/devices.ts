// What `devices` makes of a run's device, for a sweep spec, a study's options and the command
// line alike; each caller says a refusal in its own words (spec fields, a study's flags, the
// scheduler's variables).
import type { Shard } from './schema.js';

export type RunDevice =
  /** the device the run goes to (undefined: `device`'s default) */
  | { device: string | undefined }
  /** `devices` names one device and `device` another */
  | { conflict: { devices: string; device: string } }
  /** several devices beside a shard, with no device named for the shard */
  | { shardWithoutDevice: { devices: readonly string[]; shard: Shard } };

/**
 * One device in `devices` is where the run goes, as `device` would be: the run would otherwise
 * go to `device`'s default, the CPU. Several split the run into a shard per device, which a run
 * that is itself a shard cannot do: it would run on `device` alone, so it must name it (as a
 * device worker's spec does).
 */
export function runDevice(o: { device?: string; devices?: readonly string[]; shard?: Shard }): RunDevice {
  const devices = o.devices ?? [];
  if (devices.length === 1) {
    if (o.device !== undefined && o.device !== devices[0])
      return { conflict: { devices: devices[0]!, device: o.device } };
    return { device: devices[0] };
  }
  if (devices.length > 1 && o.shard && o.device === undefined)
    return { shardWithoutDevice: { devices, shard: o.shard } };
  return { device: o.device };
}
