// Command-line rules shared by `sweep` and `study`: flags that contradict each other are refused
// before any work. (A device worker's invalid input stays invalid input in the parent:
// lib/run/devices.ts.)
import { UsageError } from './exit.js';

interface RunFlags {
  devices?: string | string[];
  device?: string;
  shard?: string;
  resume?: boolean;
  overwrite?: boolean;
}

export function refuseContradictions(o: RunFlags): void {
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
}
