// The plan of a resume and of a split run: `keptRows` reads what a --resume would keep (a journal,
// a finished file, each device's shard file), and estimateSweep prices only the rows left, on the
// busiest device where the rows are split over several. Real sweeps of random:micro write the files.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { journalPath, readResults, ResultWriter, type StoredRunRecord } from '../lib/results/index.js';
import { estimateSweep } from '../lib/run/estimate.js';
import { keptAtStart, keptRows } from '../lib/run/kept.js';
import { shardFile } from '../lib/run/shards.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec, type SweepSpec, type SweepSpecInput } from '../lib/spec/index.js';
import { methodLabel } from '../lib/spec/methods.js';
import { planSweep, shardRows } from '../lib/sweep/index.js';
import { PLAN_SWEEP } from './helpers/micro-sweep.js';
import { runCli, scratchDir } from './helpers/cli.js';

const run = (args: string[], cwd: string) => runCli(args, cwd);
const dir = scratchDir('plan-resume');

const small = { ...PLAN_SWEEP, bound: false };
const fast = { calibrationSeconds: 0.5, sampleRows: 2 };
const spec = (over: object = {}): SweepSpec => parseSpec({ ...small, output: join(dir, 'x.arrow'), ...over });
let records: StoredRunRecord[];
let finished: string;

/** A journal at `out` holding `rows` of the finished sweep's records, as an interrupted run leaves it. */
async function journal(out: string, rows: StoredRunRecord[], over: object = {}): Promise<void> {
  const { metadata } = await readResults(finished);
  const writer = await ResultWriter.create(out, { ...metadata, spec: { ...metadata.spec, ...over } as SweepSpec });
  await writer.append(rows);
  await writer.close();
}

beforeAll(async () => {
  finished = join(dir, 'finished.arrow');
  await runSweep(spec({ output: finished }), { figures: false });
  records = (await readResults(finished)).records;
  expect(records).toHaveLength(18);
}, 300_000);

describe('estimateSweep of a resume', () => {
  it('a finished file: nothing left to run, every row kept', async () => {
    const s = spec({ output: finished });
    const e = await estimateSweep(s, { ...fast, kept: await keptRows(s) });
    expect(e.rows).toBe(0);
    expect(e.keptRows).toBe(18);
    expect(e.methods).toEqual([]);
    expect(e.worstRowEpochs).toBe(0);
  }, 120_000);

  it('a finished file of an older results schema: planned as the run reads it, every row kept', async () => {
    // The file as schema 2 wrote it (the columns since then dropped), at this spec's output.
    const { tableFromIPC, tableToIPC, Table, Schema } = await import('apache-arrow');
    const { COLUMNS } = await import('../lib/results/index.js');
    const now = tableFromIPC(readFileSync(finished));
    const metadata = new Map(now.schema.metadata).set('distprompt.schemaVersion', '2');
    const narrow = now.select(COLUMNS.filter((c) => c.since <= 2).map((c) => c.name));
    const s = spec({ output: join(dir, 'schema2.arrow') });
    writeFileSync(s.output, tableToIPC(new Table(new Schema(narrow.schema.fields, metadata), narrow.batches), 'file'));
    const e = await estimateSweep(s, { ...fast, kept: await keptAtStart(s, { resume: true }) });
    expect(e.keptRows).toBe(18);
    expect(e.rows).toBe(0);
    // What the plan says is what the run does: it hands the 18 rows back without running one.
    const summary = await runSweep(s, { resume: true, figures: false });
    expect([summary.rowsRun, summary.rowsResumed]).toEqual([0, 18]);
  }, 120_000);

  it('a journal: only the rows it lacks are priced, per method', async () => {
    const s = spec({ output: join(dir, 'partial.arrow') });
    const order = planSweep(s, 512).rows.map((r) => r.rowId);
    const kept = records.filter((r) => order.indexOf(r.rowId) < 7);
    await journal(s.output, kept);
    const k = await keptRows(s);
    expect([...k.rowIds].sort()).toEqual(kept.map((r) => r.rowId).sort());
    expect(k.files.map((f) => f.path)).toEqual([journalPath(s.output)]);
    const e = await estimateSweep(s, { ...fast, kept: k });
    expect(e.rows).toBe(11);
    expect(e.keptRows).toBe(7);
    expect(e.worstRowEpochs).toBe(11 * 30);
    // Each method's rows of the plan that the journal lacks.
    const lacking = new Map<string, number>();
    for (const r of planSweep(s, 512).rows.slice(7)) {
      const label = methodLabel(r.method, r.pattern, r.candidates);
      lacking.set(label, (lacking.get(label) ?? 0) + 1);
    }
    expect(e.methods.map((m) => [m.method, m.rows])).toEqual([...lacking]);
    // Read, not touched: the journal is as it was and no lock is left beside it.
    expect(readdirSync(dir).filter((f) => f.startsWith('partial'))).toEqual(['partial.arrow.partial']);
  }, 120_000);

  it('a deterministic resume reruns a partly finished group whole, and is priced so', async () => {
    const s = spec({ output: join(dir, 'groups.arrow'), deterministic: true, batchSize: 4 });
    const plan = planSweep(s, 512).rows;
    // group 0 whole, and one row of group 1
    const ids = new Set([...plan.filter((r) => r.group === 0), plan.find((r) => r.group === 1)!].map((r) => r.rowId));
    const group0 = plan.filter((r) => r.group === 0).length;
    expect(group0).toBe(4);
    await journal(
      s.output,
      records.filter((r) => ids.has(r.rowId)),
      { deterministic: true, batchSize: 4 },
    );
    const e = await estimateSweep(s, { ...fast, kept: await keptRows(s) });
    expect(e.keptRows).toBe(5);
    expect(e.rows).toBe(18 - group0);
  }, 120_000);

  it("a journal the resume would refuse is refused, with the resume's words", async () => {
    const s = spec({ output: join(dir, 'other.arrow'), inits: 3 });
    await journal(s.output, records.slice(0, 3));
    // keptRows refuses it as the resume does (what it returns is what the resume keeps), and so
    // does the plan of rows read before it.
    const refusal =
      /cannot resume from .*other\.arrow\.partial: the sweep spec differs \(inits 2 in .*, 3 in this run\)/;
    await expect(keptRows(s)).rejects.toThrow(refusal);
    await expect(keptAtStart(s, { resume: true })).rejects.toThrow(refusal);
    const read = await keptRows({ ...s, inits: 2 });
    await expect(estimateSweep(s, { ...fast, kept: read })).rejects.toThrow(refusal);
  }, 120_000);
});

describe('keptRows of a spec a script wrote', () => {
  it('reads it as runSweep does: the same rows as of the parsed spec, and a bad field refused naming it', async () => {
    // As a script writes it: a plain object, typed as the input runSweep takes.
    const given = { ...small, output: finished } as SweepSpecInput;
    const k = await keptRows(given);
    expect(k.rowIds.size).toBe(18);
    expect(k).toEqual(await keptRows(parseSpec(given)));
    // A shard as the CLI and a spec file write it, "i/N": a resume of the whole file as it is refused.
    await expect(keptRows({ ...given, shard: '1/2' })).rejects.toThrow(
      /it holds the whole sweep \(no shard\), this run is shard 1\/2/,
    );
    await expect(keptRows({ ...given, bogus: 1 } as never)).rejects.toThrow(/bogus/);
    await expect(keptRows({ ...given, inits: 0 })).rejects.toThrow(/inits/);
    await expect(keptRows(null as never)).rejects.toThrow(/keptRows: give a sweep spec/);
  });
});

describe('keptRows beside a live run', () => {
  it('an output a live run holds is refused, as the resume would refuse it; a stale lock is not', async () => {
    const s = spec({ output: join(dir, 'busy.arrow') });
    await journal(s.output, records.slice(0, 2));
    const live = spawn('sleep', ['60']);
    try {
      symlinkSync(`${live.pid} ${hostname()} ${new Date().toISOString()} sweep`, `${s.output}.lock`);
      await expect(keptRows(s)).rejects.toThrow(
        new RegExp(
          `busy\\.arrow is being written by process ${live.pid} on .* \\(a sweep since .*\\): wait for it to finish`,
        ),
      );
    } finally {
      live.kill();
    }
    await new Promise((done) => live.on('exit', done));
    // its process gone: the lock is stale, and the journal's rows are read
    expect((await keptRows(s)).rowIds.size).toBe(2);
    expect(readlinkSync(`${s.output}.lock`)).toMatch(/ sweep$/); // read, not taken over or removed
  });
});

describe('estimateSweep over devices', () => {
  it('prices the busiest device: each a shard of every method', async () => {
    const s = spec({ output: join(dir, 'split.arrow'), devices: ['cpu', 'cpu'] });
    const e = await estimateSweep(s, fast);
    expect(e.devices).toBe(2);
    expect(e.rows).toBe(18);
    expect(e.methods.map((m) => [m.method, m.rows, m.rowsPerDevice])).toEqual([
      ['soft', 6, 3],
      ['hard:k=1', 6, 3],
      ['hybrid:HSS:k=1', 6, 3],
    ]);
  }, 120_000);

  it("a resume over devices keeps each device's shard file", async () => {
    const s = spec({ output: join(dir, 'dev.arrow'), devices: ['cpu', 'cpu'] });
    const shard0 = new Set(shardRows(planSweep(s, 512).rows, { index: 0, count: 2 }).map((r) => r.rowId));
    await runSweep(
      { ...s, devices: undefined, shard: { index: 0, count: 2 }, output: shardFile(s.output, 0, 2) },
      {
        figures: false,
      },
    );
    const k = await keptRows(s);
    expect(k.rowIds).toEqual(shard0);
    const e = await estimateSweep(s, { ...fast, kept: k });
    expect(e.keptRows).toBe(9);
    expect(e.rows).toBe(9);
    expect(e.methods.reduce((a, m) => a + m.rowsPerDevice, 0)).toBe(9);
  }, 300_000);
});

describe('sweep --plan --resume, study --plan --resume and --devices', () => {
  it('sweep --plan --resume prints the rows left and what is kept, and leaves the journal as it was', async () => {
    const out = join(dir, 'cli.arrow');
    await journal(out, records.slice(0, 4));
    const before = readFileSync(journalPath(out));
    const r = run(['sweep', '-o', out, '--plan', '--resume'], dir);
    // the default spec is not this sweep's: refused as the resume would refuse it
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot resume from .*cli\.arrow\.partial: the sweep spec differs/);
    const cfg = join(dir, 'cli.json');
    writeFileSync(cfg, JSON.stringify(small));
    const ok = run(['sweep', '-c', cfg, '-o', out, '--plan', '--resume'], dir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/total: 14 rows left \(4 kept\); worst case 420 row-epochs/);
    expect(readFileSync(journalPath(out))).toEqual(before);
    const split = run(['sweep', '-c', cfg, '-o', join(dir, 'none.arrow'), '--plan', '--devices', 'cpu,cpu'], dir);
    expect(split.status, split.stderr).toBe(0);
    expect(split.stdout).toMatch(/over 2 devices, a shard each: the times are the busiest device's .*share its cores/);
    expect(split.stdout).toMatch(/total: 18 rows, 9 on the busiest of 2 devices;/);
    const all = run(['sweep', '-c', cfg, '-o', finished, '--plan', '--resume'], dir);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/nothing left to run; a resume keeps all 18 rows; nothing written/);
    // Kept and taken from a --reuse file together: each told, not the kept as all the sweep's rows.
    const both = join(dir, 'kept-taken.arrow');
    await journal(both, records.slice(0, 4));
    const whole = run(['sweep', '-c', cfg, '-o', both, '--plan', '--resume', '--reuse', finished], dir);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout).toMatch(
      /nothing left to run; a resume keeps 4 rows and takes the other 14 from an earlier sweep; nothing written/,
    );
    // A journal damaged at its head: the plan refuses it as the resume does, and leaves it as it was.
    const damaged = Buffer.concat([Buffer.alloc(16, 0x58), before.subarray(16)]);
    writeFileSync(journalPath(out), damaged);
    for (const plan of [['--plan'], []]) {
      const r = run(['sweep', '-c', cfg, '-o', out, ...plan, '--resume', '--no-figures'], dir);
      expect(r.status, plan.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /cannot resume from .*cli\.arrow\.partial: its \d+ bytes do not begin with a results journal's schema/,
      );
      expect(readFileSync(journalPath(out))).toEqual(damaged);
    }
  }, 300_000);

  it('a plan is of the run its command starts: an output in the way refused, merged shards cost nothing, unfinished ones refused', () => {
    const cfg = join(dir, 'start.json');
    writeFileSync(cfg, JSON.stringify(small));
    const plan = (out: string, ...flags: string[]) => run(['sweep', '-c', cfg, '-o', out, '--plan', ...flags], dir);
    // A finished output without --resume or --overwrite: refused with the run's words, and priced in full with --overwrite.
    for (const refused of [plan(finished), run(['sweep', '-c', cfg, '-o', finished, '--no-figures'], dir)]) {
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(
        /finished\.arrow already exists: choose another output, pass --overwrite, or --resume/,
      );
    }
    const again = plan(finished, '--overwrite');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/total: 18 rows; worst case 540 row-epochs/);
    // Every shard file finished beside a new output: the run merges them and runs no row; so says the plan.
    const out = join(dir, 'merged.arrow');
    for (const i of [0, 1]) {
      const r = run(['sweep', '-c', cfg, '-o', shardFile(out, i, 2), '--shard', `${i}/2`, '--no-figures', '-q'], dir);
      expect(r.status, r.stderr).toBe(0);
    }
    const merge = plan(out);
    expect(merge.status, merge.stderr).toBe(0);
    expect(merge.stdout).toMatch(
      /nothing to run; the run merges the 2 shard files beside it \(18 rows\); nothing written/,
    );
    const json = JSON.parse(plan(out, '--json').stdout);
    expect(json).toMatchObject({ rows: 0, keptRows: 18, mergedShards: 2 });
    expect(readdirSync(dir).filter((f) => f.startsWith('merged.arrow'))).toEqual([]);
    // One shard still running (its journal): the run refuses, and so does its plan, naming it.
    const unfinished = shardFile(out, 1, 2);
    writeFileSync(journalPath(unfinished), readFileSync(unfinished));
    rmSync(unfinished);
    const part = plan(out);
    expect(part.status).toBe(2);
    expect(part.stderr).toMatch(/not every one of the 2 has finished: .*merged\.shard1of2\.arrow has not finished/);
    expect(plan(out, '--overwrite').status).toBe(0);
  }, 300_000);

  it('study --plan --resume of a finished study: nothing left; --devices prices each sweep split, --shard its shard', () => {
    const study = join(dir, 'study');
    const smoke = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound'];
    const done = run([...smoke, '-o', study, '-q'], dir);
    expect(done.status, done.stderr).toBe(0);
    const plan = run([...smoke, '-o', study, '--plan', '--resume', '--json'], dir);
    expect(plan.status, plan.stderr).toBe(0);
    const e = JSON.parse(plan.stdout.trim().split('\n').at(-1)!);
    expect(e.rows).toBe(0);
    expect(e.keptRows).toBeGreaterThan(0);
    // Without --resume the run refuses the finished sweeps, in the study's words, and so does its plan.
    for (const refused of [run([...smoke, '-o', study, '--plan'], dir), run([...smoke, '-o', study, '-q'], dir)]) {
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(/vanilla\.random_micro\.arrow exists: add --resume to keep finished sweeps/);
    }
    const redo = run([...smoke, '-o', study, '--plan', '--overwrite', '--json'], dir);
    expect(redo.status, redo.stderr).toBe(0);
    expect(JSON.parse(redo.stdout.trim().split('\n').at(-1)!)).toMatchObject({ rows: e.keptRows, keptRows: 0 });
    const split = run([...smoke, '--plan', '--json', '--devices', 'cpu,cpu'], dir);
    expect(split.status, split.stderr).toBe(0);
    const s = JSON.parse(split.stdout.trim().split('\n').at(-1)!);
    expect(s.sweeps[0].estimate.devices).toBe(2);
    expect(s.keptRows).toBe(0);
    // A --shard run's plan is of its shard: every second row.
    const half = run([...smoke, '--plan', '--json', '--shard', '1/2'], dir);
    expect(half.status, half.stderr).toBe(0);
    expect(JSON.parse(half.stdout.trim().split('\n').at(-1)!).rows).toBe(Math.floor(s.rows / 2));
  }, 600_000);
});
