// Command-line rules shared by `sweep` and `study`: flags that contradict each other are refused
// before any work, and a device worker's invalid input stays invalid input (exit 2) in the parent.
import { EXIT, UsageError } from './exit.js';

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

/** The error for device workers that did not all finish, or undefined when they did. */
export function workersFailed(codes: readonly number[], devices: readonly string[]): Error | undefined {
  const failed = codes.findIndex((c) => c !== EXIT.ok);
  if (failed < 0) return undefined;
  const what = `worker ${failed} on ${devices[failed]} failed (exit ${codes[failed]}; its message is above)`;
  // Invalid input (a bad model, a device this build lacks) is the same for every rerun: exit 2.
  if (codes.includes(EXIT.invalid)) return new UsageError(`${what}: correct the input and run again`);
  return new Error(`${what}; the other shards are kept: rerun with --resume`);
}
