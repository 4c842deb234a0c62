// The plan before a run: the batching arithmetic by hand, estimateSweep on a real small model,
// and `sweep --plan` / `study --plan` as a user runs them (the built CLI): right rows, nothing
// written, bad input exits 2.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { batchedSeconds, epochsFromSample } from '../lib/run/estimate-batching.js';
import { cutOffEpochs, estimateSweep, scaledSeconds, spread } from '../lib/run/estimate.js';
import { duration } from '../lib/run/estimate-report.js';
import { estimateStudy } from '../lib/run/estimate-study.js';
import { runStudy } from '../lib/run/study.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';
import { PLAN_SWEEP } from './helpers/micro-sweep.js';
import { cli, runCli, scratchDirs } from './helpers/cli.js';

const run = (args: string[], cwd: string) => runCli(args, cwd);
const tmp = scratchDirs('plan');

const small = PLAN_SWEEP;

describe('batched seconds (continuous batching by hand)', () => {
  const perEpoch = { fixedSeconds: 1, perRowSeconds: 0 };
  const perRow = { fixedSeconds: 0, perRowSeconds: 1 };
  it('one slot runs rows one after another', () => {
    expect(batchedSeconds([3, 5], 1, 1, perEpoch)).toBe(8);
  });
  it('a row that stops mid-call costs nothing for the rest of the call', () => {
    // epochs 1-2: two rows, 3-4: one
    expect(batchedSeconds([2, 4], 2, 4, perRow)).toBe(6);
  });
  it('a stopped row is replaced only at the next call', () => {
    // each 1-epoch row holds the single slot for a whole 4-epoch call, but runs one epoch of it
    expect(batchedSeconds([1, 1], 1, 4, perEpoch)).toBe(2);
    // with 2 slots the third row waits for the call to end: 1 + 1 epochs at fixed cost
    expect(batchedSeconds([1, 4, 2], 2, 4, perEpoch)).toBe(4 + 2);
  });
  it('the tail is priced at its own batch: fixed + per-row cost each epoch', () => {
    const c = { fixedSeconds: 0.5, perRowSeconds: 0.25 };
    // 3 rows of 2 epochs on 2 slots, chunk 2: a call of 2 rows (2 × 1.0) then one of 1 row (2 × 0.75)
    expect(batchedSeconds([2, 2, 2], 2, 2, c)).toBeCloseTo(3.5, 12);
  });
  it('a huge budget is priced at once, not walked call by call', () => {
    const t0 = performance.now();
    // 3 rows of 10^12 epochs on 2 slots, chunk 4: 2 rows in every epoch, then the third alone.
    expect(batchedSeconds([1e12, 1e12, 1e12], 2, 4, perRow)).toBe(3e12);
    expect(batchedSeconds([1e12 + 1, 6], 2, 4, perEpoch)).toBe(1e12 + 1);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
  it('refuses a slot or chunk count below 1', () => {
    expect(() => batchedSeconds([1], 0, 1, perRow)).toThrow(/at least 1/);
  });
  it('rows take their epochs from the sample in turn, at most the budget; none stopped: the budget', () => {
    expect(epochsFromSample(5, [3, 50, 7], 40)).toEqual([3, 40, 7, 3, 40]);
    expect(epochsFromSample(2, [], 40)).toEqual([40, 40]);
  });
  it('spread takes rows over the whole plan; a cut-off row counts between its earliest stop and the budget', () => {
    expect(spread([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3)).toEqual([1, 5, 8]);
    expect(spread([1, 2], 5)).toEqual([1, 2]);
    expect(cutOffEpochs(10, 8, 5, 100)).toBe((13 + 100) / 2);
    expect(cutOffEpochs(10, 2, 5, 100)).toBe((10 + 100) / 2);
    expect(cutOffEpochs(10, 8, 5, 12)).toBe(12);
  });
  it('durations read as a person would say them', () => {
    expect(duration(4.25)).toBe('4.3 s');
    expect(duration(125)).toBe('2.1 min');
    expect(duration(2 * 3600 + 5 * 60)).toBe('2 h 05 min');
    expect(duration(3 * 86400 + 4 * 3600)).toBe('3 d 4 h');
  });
});

describe('scaledSeconds (a sample scaled to the sweep)', () => {
  it('counts a first call once and scales only the warm sample', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const calls: string[] = [];
    const { result, seconds } = await scaledSeconds(
      async () => {
        calls.push('once');
        await sleep(300);
      },
      async () => {
        calls.push('sample');
        await sleep(30);
        return 'made';
      },
      10,
    );
    expect(calls).toEqual(['once', 'sample']);
    expect(result).toBe('made');
    // 0.3 s once + 10 × 0.03 s; scaling the first call too would give 3.3 s
    expect(seconds).toBeGreaterThanOrEqual(0.6 - 0.01);
    expect(seconds).toBeLessThan(3);
  });
});

describe('estimateSweep on random:micro', () => {
  it("counts the plan's rows per method, worst = rows × budget, typical at most worst, and writes nothing", async () => {
    const dir = tmp();
    const spec = parseSpec({ ...small, output: join(dir, 'out.arrow') });
    const e = await estimateSweep(spec, { calibrationSeconds: 1, sampleRows: 4 });
    const plan = planSweep(spec, 512);
    expect(e.rows).toBe(plan.rows.length);
    expect(e.rows).toBe(3 * 2 * 3);
    expect(e.methods.map((m) => m.method)).toEqual(['soft', 'hard:k=1', 'hybrid:HSS:k=1']);
    for (const m of e.methods) {
      expect(m.rows).toBe(6);
      expect(m.batchSize).toBeGreaterThanOrEqual(1);
      expect(m.rowEpochsPerSecond).toBeGreaterThan(0);
      expect(m.sample.rows).toBe(4);
      expect(m.sample.meanEpochs).toBeGreaterThan(0);
      expect(m.sample.meanEpochs).toBeLessThanOrEqual(30);
      expect(m.typicalSeconds).toBeLessThanOrEqual(m.worstSeconds + 1e-12);
    }
    expect(e.worstRowEpochs).toBe(18 * 30);
    expect(e.typicalRowEpochs).toBeLessThanOrEqual(e.worstRowEpochs);
    expect(e.worstSeconds).toBeGreaterThan(e.setup.targetsSeconds + e.setup.boundSeconds);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);

  it("prices the targets a shard makes: with the bound, the whole groups of its solve its rows' targets lie in", async () => {
    // 70 targets, one init: shard 0/2 runs every other target, which lie in both groups of the
    // bound's solve (64 a group on a CPU), so the sweep makes and bounds all 70.
    const entropyBits = Array.from({ length: 70 }, (_, i) => (i * 9.9) / 70);
    const sharded = {
      ...small,
      targets: [{ kind: 'vanilla', entropyBits, method: 'temperature' }],
      methods: [{ method: 'soft' }],
      inits: 1,
      shard: { index: 0, count: 2 },
    };
    const fast = { calibrationSeconds: 0.2, sampleRows: 2 };
    const bounded = await estimateSweep(parseSpec(sharded), fast);
    expect(bounded.rows).toBe(35);
    expect(bounded.targets).toBe(70);
    const unbounded = await estimateSweep(parseSpec({ ...sharded, bound: false }), fast);
    expect(unbounded.targets).toBe(35);
  }, 120_000);

  it('a signal already aborted, or aborted while it calibrates: rejects with its AbortError, nothing written', async () => {
    // A plan priced from part of its calibration would be a wrong answer, not a shorter one.
    const dir = tmp();
    const ctl = new AbortController();
    ctl.abort();
    const spec = parseSpec({ ...small, output: join(dir, 'out.arrow') });
    expect(spec.bound).not.toBe(false);
    await expect(
      estimateSweep(spec, { calibrationSeconds: 1, sampleRows: 4, signal: ctl.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    const later = new AbortController();
    const plan = estimateSweep(spec, { calibrationSeconds: 5, sampleRows: 4, signal: later.signal });
    setTimeout(() => later.abort(), 500);
    await expect(plan).rejects.toMatchObject({ name: 'AbortError' });
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});

describe('the run entry points refuse a misspelt option before any work', () => {
  // Dropped, each would run on its default: the paper's scale for hours, or over a finished file.
  const dir = tmp();
  it.each([
    [
      'runStudy',
      () =>
        runStudy({ studies: ['vanilla'], models: ['random:micro'], outDir: join(dir, 'x'), scal: 'smoke' } as never),
    ],
    ['estimateStudy', () => estimateStudy({ studies: ['vanilla'], models: ['random:micro'], scal: 'smoke' } as never)],
    ['runSweep', () => runSweep(parseSpec({ ...small, output: join(dir, 'x.arrow') }), { resum: true } as never)],
    ['estimateSweep', () => estimateSweep(parseSpec(small), { calibrationSecond: 1 } as never)],
  ])('%s', async (name, call) => {
    await expect(call()).rejects.toThrow(new RegExp(`^${name}: unknown option '\\w+' \\(known: `));
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('distprompt sweep --plan / study --plan', () => {
  it('sweep --plan --json: the rows and both cases, and no results, journal or figures', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify(small));
    const r = run(['sweep', '-c', 'spec.json', '-o', 'out.arrow', '--plan', '--json', '--no-bound'], dir);
    expect(r.status, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(e.rows).toBe(18);
    expect(e.worstRowEpochs).toBe(18 * 30);
    expect(e.setup.boundSeconds).toBe(0);
    expect(e.typicalSeconds).toBeLessThanOrEqual(e.worstSeconds);
    expect(readdirSync(dir)).toEqual(['spec.json']);
  }, 120_000);

  it('sweep --plan prints a table per method and the total', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'spec.json'), JSON.stringify({ ...small, methods: [{ method: 'soft' }] }));
    const r = run(['sweep', '-c', 'spec.json', '-o', 'out.arrow', '--plan'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\| soft \| 6 \|/);
    expect(r.stdout).toMatch(/total: 6 rows; worst case 180 row-epochs \(rows × 30\)/);
    expect(existsSync(join(dir, 'out.arrow'))).toBe(false);
  }, 120_000);

  it('study --plan --json: every sweep of the study, the skipped ones named, no output folder', () => {
    const dir = tmp();
    const r = run(['study', 'lm,random-init', '-m', 'random:micro', '--scale', 'smoke', '--plan', '--json'], dir);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const e = lines.at(-1)!;
    // Each sweep as it was planned, then the whole plan.
    expect(lines.slice(0, -1)).toEqual(e.sweeps.map((s: object) => ({ event: 'planned', ...s })));
    expect(e.notPlanned).toEqual([]);
    expect(e.sweeps.map((s: { experiment: string }) => s.experiment)).toEqual(['lm', 'random-init']);
    expect(e.sweeps[1].skipped).toMatch(/already randomly initialised/);
    expect(e.rows).toBe(e.sweeps[0].estimate.rows);
    expect(e.rows).toBeGreaterThan(0);
    expect(e.worstRowEpochs).toBe(e.rows * e.sweeps[0].estimate.maxEpochs);
    expect(readdirSync(dir)).toEqual([]);
  }, 300_000);

  it('study --plan interrupted: the sweeps planned so far, the rest named as not planned, exit 130', async () => {
    const dir = tmp();
    const child = spawn(
      process.execPath,
      [cli, 'study', 'vanilla,lm,outliers', '-m', 'random:micro', '--scale', 'smoke', '--plan'],
      {
        cwd: dir,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    // Ctrl-C while the second sweep calibrates (a few seconds of it).
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (!sent && stderr.includes('[2/3]')) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted: the plan so far follows/);
    expect(stdout).toMatch(/\| vanilla \| random:micro \| 22 \|/);
    expect(stdout).not.toMatch(/\| lm \|/);
    expect(stdout).toMatch(
      /interrupted: the total is of the sweeps above; not planned: lm on random:micro, outliers on random:micro/,
    );
    expect(readdirSync(dir)).toEqual([]);
  }, 300_000);

  it('bad input exits 2 with the reason', () => {
    const dir = tmp();
    let r = run(['sweep', '-m', 'random:micro', '--max-epochs', '0', '--plan'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--max-epochs: must be >= 1, got 0/);
    r = run(['study', 'no-such-study', '-m', 'random:micro', '--plan'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no-such-study/);
    r = run(['study', 'lm', '-m', 'random:micro', '--scale', 'huge', '--plan'], dir);
    expect(r.status).toBe(2);
    r = run(['sweep', '-m', 'random:no-such-preset', '--plan'], dir);
    expect(r.status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
