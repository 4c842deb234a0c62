// Device workers: one process per device on this machine, each running shard i/N of the same
// sweep (or study) on its device through the CLI; the caller merges their shard files. Workers
// are processes, not threads: each owns its device and its memory, and a crash in one is
// reported, not shared.
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errorSaying, option, said, SaidError, type Said } from '../io/said.js';
import { errnoCode, FileError } from '../io/fs-error.js';
import { ownerGone, ownerTag } from '../io/owner-tag.js';
import type { SweepSpec } from '../spec/index.js';
import { workerUrl } from '../worker/client.js';
import { forwardWorkerEvents, type WorkerSummary } from './device-progress.js';
import { finishedAt } from './kept.js';
import { mergeSweepShards } from './merge.js';
import { removeShards, shardFiles } from './shards.js';

/** The exit code of an interrupted run (SIGINT): its worker kept its finished rows. */
const INTERRUPTED = 130;
/** The exit code of invalid input (lib/cli/exit.ts). */
const INVALID = 2;

/** A worker refused its input: the parent's input is as invalid (exit 2, lib/cli/exit.ts). */
export class WorkerInputError extends SaidError {
  override name = 'WorkerInputError';
  constructor(message: Said) {
    super(message);
  }
}

/** How a worker ended: its exit code, or (code null) the signal that killed it. */
interface WorkerEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A worker killed by a signal wrote no message of its own: say what likely killed it. */
function endText({ code, signal }: WorkerEnd): string {
  if (code !== null) return `exit ${code}`;
  const why = signal === 'SIGKILL' ? ', often the system out of memory (see dmesg)' : '';
  return `killed by ${signal ?? 'a signal'}${why}`;
}

export interface DeviceRunOptions {
  resume?: boolean;
  overwrite?: boolean;
  /** finished results files each worker takes rows from (runSweep's reuse) */
  reuse?: readonly string[];
  signal?: AbortSignal;
}

/**
 * One worker process per device, worker i running the CLI with `argsOf(device, 'i/N')`; resolves
 * to 'interrupted' when any was (an abort interrupts them all with SIGINT, so each keeps its
 * finished rows for --resume) and throws when one failed, naming it. Each worker's summary goes
 * to `onDone` (the caller's `events` get logs, warnings and progress alone).
 */
export async function runOnDevices(
  devices: readonly string[],
  argsOf: (device: string, shard: string, i: number) => string[],
  events: EventEmitter,
  { signal, onDone }: { signal?: AbortSignal; onDone?: (summary: WorkerSummary) => void } = {},
): Promise<'done' | 'interrupted'> {
  const n = devices.length;
  const cli = fileURLToPath(workerUrl('../cli/main.js', import.meta.url));
  events.emit('log', `${n} workers, one per device: ${devices.join(', ')}`);
  // Their stdout carries the JSON events of workers run with --json (lib/run/device-progress.ts);
  // an error among them is this run's to say (below), so the worker does not print it too.
  const env = { ...process.env, DISTPROMPT_ERRORS_AS_EVENTS: '1' };
  const children = devices.map((device, i) =>
    spawn(process.execPath, [cli, ...argsOf(device, `${i}/${n}`, i)], { stdio: ['ignore', 'pipe', 'inherit'], env }),
  );
  // What each worker said of its failure (its --json error event), in parts: said in our caller's words.
  const told: Array<Said | undefined> = devices.map(() => undefined);
  const forward = forwardWorkerEvents(
    children.map((c, i) => ({ name: `worker ${i} (${devices[i]})`, stdout: c.stdout })),
    events,
    { onDone, onError: (i, message) => (told[i] = message) },
  );
  const ends = await Promise.all(
    children.map(
      (child, i) =>
        new Promise<WorkerEnd>((resolve) => {
          const stop = () => child.kill('SIGINT');
          signal?.addEventListener('abort', stop, { once: true });
          // 'close', not 'exit': the worker's last lines are read by then.
          child.on('close', (code, killedBy) => {
            signal?.removeEventListener('abort', stop);
            forward.ended(i);
            const end = { code, signal: killedBy };
            events.emit('log', `worker ${i} (${devices[i]}) finished with ${endText(end)}`);
            resolve(end);
          });
        }),
    ),
  );
  const codes = ends.map((e) => e.code);
  // A worker that got SIGINT before it set its handler (Node still starting) dies of it: it had
  // written nothing yet, and was interrupted all the same.
  if (ends.some((e) => e.code === INTERRUPTED || e.signal === 'SIGINT')) return 'interrupted';
  const failed = codes.findIndex((c) => c !== 0);
  if (failed < 0) return 'done';
  const end = ends[failed];
  const message = told[failed];
  const what = message
    ? said`worker ${failed} on ${devices[failed]} failed (${endText(end)}): ${message}`
    : said`worker ${failed} on ${devices[failed]} failed (${endText(end)}${end.code === null ? '' : '; its message is above'})`;
  // Invalid input (a bad model, a device this build lacks) is the same for every rerun: exit 2.
  // A worker's own message says what to change; the shards of workers that finished are kept.
  if (codes.includes(INVALID)) {
    if (codes.includes(0))
      throw new WorkerInputError(
        said`${what}; the shards that finished are kept: correct the input and rerun with ${option('resume', true)}`,
      );
    throw new WorkerInputError(message ? what : said`${what}: correct the input and run again`);
  }
  throw errorSaying(said`${what}; the other shards are kept: rerun with ${option('resume', true)}`);
}

/**
 * `spec.devices`: shard i/N of the sweep on device i, then the shard files merged into
 * spec.output (which checks they cover the sweep exactly once) and removed. The caller holds
 * spec.output's lock (runSweep), and has checked the shard files are the workers' to write
 * (sweepStart). Resolves to the merged file's row count and how many of them a resume found
 * finished in the shard files; when interrupted, to the rows the shard files keep for --resume.
 */
export async function sweepOnDevices(
  spec: SweepSpec,
  options: DeviceRunOptions,
  events: EventEmitter,
  /** called once every worker has finished, before their shards are merged */
  finishing: () => void = () => {},
): Promise<{ rows: number; resumed: number; shared: number; interrupted: boolean }> {
  const devices = spec.devices!;
  const n = devices.length;
  const files = shardFiles(spec.output, n);
  const resumed = options.resume ? (await Promise.all(files.map(finishedRows))).reduce((a, b) => a + b, 0) : 0;
  // The spec travels whole as the workers' --config; their flags set device, shard and output.
  const dir = await workersFolder();
  // Rows the workers took from reused files rather than ran, as their summaries say.
  let shared = 0;
  const onDone = (e: WorkerSummary) => {
    if (typeof e.rowsShared === 'number') shared += e.rowsShared;
  };
  try {
    const config = join(dir, 'spec.json');
    await writeFile(config, JSON.stringify(spec));
    const how = await runOnDevices(
      devices,
      (device, shard, i) => [
        'sweep',
        '--config',
        config,
        '--device',
        device,
        '--shard',
        shard,
        '-o',
        files[i],
        '--no-figures',
        '--json',
        ...(options.resume ? ['--resume'] : []),
        ...(options.overwrite ? ['--overwrite'] : []),
        ...(options.reuse?.length ? ['--reuse', ...options.reuse.map((p) => resolve(p))] : []),
      ],
      events,
      { signal: options.signal, onDone },
    );
    if (how === 'interrupted') {
      // What the workers journaled (or finished) is what a --resume keeps: say how many.
      const kept = (await Promise.all(files.map(finishedRows))).reduce((a, b) => a + b, 0);
      return { rows: kept, resumed, shared, interrupted: true };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  finishing();
  const report = await mergeSweepShards(files, spec.output, { overwrite: options.overwrite });
  await removeShards(files);
  events.emit('log', `merged ${n} device shards into ${spec.output} (${report.rows} rows)`);
  return { rows: report.rows, resumed, shared, interrupted: false };
}

/** The workers' folder: `distprompt-devices-<pid>-<ms>-XXXXXX`, named so a later run can tell whose it was. */
const WORKERS_FOLDER = 'distprompt-devices-';

/**
 * Removes the workers' folders under `under` of runs that are gone: a parent killed with kill -9
 * cannot remove its own, and nothing else would. Only the spec this module writes is removed, then
 * the folder if that left it empty; a live run's folder, and anything else, is left alone.
 */
async function removeStaleWorkersFolders(under: string): Promise<void> {
  const names = await readdir(under).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(WORKERS_FOLDER) || !ownerGone(name.slice(WORKERS_FOLDER.length), { more: true })) continue;
    const folder = join(under, name);
    await rm(join(folder, 'spec.json'), { force: true }).catch(() => undefined);
    await rmdir(folder).catch(() => undefined);
  }
}

/**
 * A new folder under TMPDIR for the workers' spec. TMPDIR missing or not writable (a cluster job's
 * scratch variable pointing at a folder not made yet) is named as such, not as Node's mkdtemp error.
 */
async function workersFolder(): Promise<string> {
  const under = tmpdir();
  await removeStaleWorkersFolders(under);
  try {
    return await mkdtemp(join(under, `${WORKERS_FOLDER}${ownerTag()}-`));
  } catch (e) {
    const code = errnoCode(e) ?? 'EIO';
    throw new FileError(
      code,
      under,
      `cannot make the device workers' temporary folder in ${under} (TMPDIR, else /tmp) (${code}): set TMPDIR to a folder this user can write, with free space`,
      { cause: e },
    );
  }
}

/** Rows finished in a device's shard file: what its worker resumes. */
const finishedRows = async (file: string): Promise<number> => (await finishedAt(file)).read?.records.length ?? 0;
