// A script following runSweep through its events (README "What the library exports"): `log` lines
// are the command line's, `progress` a SweepProgress after each step, and no other event reaches it
// (a run over `devices` told it each worker's internal summary too); a listener that throws stops
// the run, which rejects with that error and keeps its journaled rows for a resume.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runStudy, runSweep, type SweepProgress, type SweepSpecInput } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('library-events');

it('a progress listener that throws rejects the run with its error; the rows journaled are resumed', async () => {
  const output = join(dir, 'r.arrow');
  const spec: SweepSpecInput = {
    model: 'random:micro',
    output,
    targets: [{ kind: 'vanilla', entropyBits: [1, 2, 3, 4] }],
    methods: [{ method: 'soft' }],
    inits: 2,
    maxEpochs: 40,
    patience: 40,
    batchSize: 2,
    bound: false,
  };
  const events = new EventEmitter();
  const lines: unknown[] = [];
  const seen: SweepProgress[] = [];
  events.on('log', (line) => lines.push(line));
  events.on('progress', (p: SweepProgress) => {
    seen.push(p);
    if (p.sweepRowsDone >= 4) throw new Error('the listener failed');
  });
  await expect(runSweep(spec, { figures: false }, events)).rejects.toThrow('the listener failed');
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.every((l) => typeof l === 'string')).toBe(true);
  expect(seen.at(-1)).toMatchObject({ phase: 'tuning', method: 'soft', sweepRowsTotal: 8 });
  expect(existsSync(`${output}.partial`)).toBe(true);
  expect(existsSync(`${output}.lock`)).toBe(false);

  const resumed = await runSweep(spec, { figures: false, resume: true });
  expect(resumed.rows).toBe(8);
  expect(resumed.rowsResumed).toBeGreaterThan(0);
  expect(resumed.rowsResumed + resumed.rowsRun).toBe(8);
});

/** Every event name emitted, whether or not the caller listens for it. */
class Recorder extends EventEmitter {
  names = new Set<string | symbol>();
  override emit(name: string | symbol, ...args: unknown[]): boolean {
    this.names.add(name);
    return super.emit(name, ...args);
  }
  /** names other than the documented `log`, `progress` and `finishing` */
  undocumented = () => [...this.names].filter((n) => n !== 'log' && n !== 'progress' && n !== 'finishing');
}

it('a run over devices emits only the documented events on the caller’s emitter', async () => {
  const events = new Recorder();
  const spec: SweepSpecInput = {
    model: 'random:micro',
    output: join(dir, 'devices.arrow'),
    devices: ['cpu', 'cpu'],
    targets: [{ kind: 'vanilla', entropyBits: [2, 5] }],
    methods: [{ method: 'soft' }],
    inits: 1,
    maxEpochs: 5,
    bound: false,
  };
  const summary = await runSweep(spec, { figures: false }, events);
  expect(summary).toMatchObject({ start: 'devices', rows: 2, rowsRun: 2, rowsShared: 0 });
  expect(events.names.has('log')).toBe(true);
  expect(events.undocumented()).toEqual([]);
});

it('a study over devices emits only the documented events on the caller’s emitter', async () => {
  const events = new Recorder();
  const options = { studies: ['vanilla'], models: ['random:micro'], scale: 'smoke', bound: false } as const;
  const summary = await runStudy({ ...options, outDir: join(dir, 'study'), devices: ['cpu', 'cpu'] }, events);
  expect(summary.sweeps).toHaveLength(1);
  expect(events.names.has('log')).toBe(true);
  expect(events.undocumented()).toEqual([]);
});

it('`finishing` comes once every row is done: an abort from then returns the sweep finished', async () => {
  const output = join(dir, 'finishing.arrow');
  const spec: SweepSpecInput = {
    model: 'random:micro',
    output,
    targets: [{ kind: 'vanilla', entropyBits: [1, 4] }],
    methods: [{ method: 'soft' }],
    inits: 2,
    maxEpochs: 10,
    bound: false,
  };
  const ctl = new AbortController();
  const seen: Array<{ output: unknown; rowsDone: number }> = [];
  let rowsDone = 0;
  const events = new EventEmitter();
  events.on('progress', (p: SweepProgress) => (rowsDone = p.sweepRowsDone));
  events.on('finishing', (out: unknown) => {
    seen.push({ output: out, rowsDone });
    ctl.abort();
  });
  const summary = await runSweep(spec, { figures: false, signal: ctl.signal }, events);
  expect(seen).toEqual([{ output, rowsDone: 4 }]);
  expect(summary).toMatchObject({ interrupted: false, rows: 4, rowsRun: 4 });
  expect(existsSync(output)).toBe(true);
  expect(existsSync(`${output}.partial`)).toBe(false);
});
