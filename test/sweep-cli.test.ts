// `distprompt sweep` as a user runs it: a child process of the built CLI (npm test builds it).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { readResults, scanJournal } from '../lib/results/index.js';
import { cli, interruptWhen, runCli, runCliAsync, scratchDirs } from './helpers/cli.js';
import { PROGRESS_COUNT_KEYS } from './helpers/progress-keys.js';

const small = {
  model: 'random:micro',
  targets: [{ kind: 'vanilla', entropyBits: [0, 2, 5, 8], method: 'temperature' }],
  methods: [{ method: 'soft' }],
  inits: 3,
  maxEpochs: 60,
  patience: 60,
  batchSize: 4,
};

const tmp = scratchDirs('sweep');

const run = (args: string[], cwd: string) => runCli(args, cwd);

function config(dir: string, spec: object = small): string {
  const p = join(dir, 'spec.json');
  writeFileSync(p, JSON.stringify(spec));
  return p;
}

const byRow = (rs: { rowId: string; klNats: number }[]) => new Map(rs.map((r) => [r.rowId, r.klNats]));

describe('distprompt sweep', () => {
  it('the default study runs end to end: schema, row count, and low entropy easier than mid', async () => {
    const dir = tmp();
    const r = run(['sweep', '--quiet'], dir);
    expect(r.status, r.stderr).toBe(0);
    const { records, metadata } = await readResults(join(dir, 'results.arrow'));
    // 0 to log2(50257) every half bit (32 points and the end point) × 3 inits.
    expect(records).toHaveLength(33 * 3);
    expect(metadata.model.name).toBe('random:demo');
    expect(metadata.spec.maxEpochs).toBe(300);
    // The columns themselves are docs/results-schema.md's (results-schema-doc.test.ts); here, values.
    for (const x of records) {
      expect(Number.isFinite(x.klNats) && x.klNats >= 0, x.rowId).toBe(true);
      expect(x.bestEpoch, x.rowId).toBeLessThan(x.epochs);
      expect(x.epochs, x.rowId).toBeLessThanOrEqual(300);
      expect(['patience', 'budget', 'converged'], x.rowId).toContain(x.stopReason);
    }
    const best = new Map<string, { h: number; kl: number }>();
    for (const x of records) {
      const cur = best.get(x.targetId);
      if (!cur || x.klNats < cur.kl) best.set(x.targetId, { h: x.requestedEntropyBits!, kl: x.klNats });
    }
    const mean = (lo: number, hi: number) => {
      const v = [...best.values()].filter((b) => b.h >= lo && b.h <= hi).map((b) => b.kl);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(mean(0, 1.5)).toBeLessThan(mean(5, 9));
    expect(existsSync(join(dir, 'figures', 'kl-vs-entropy.svg'))).toBe(true);
  });

  it("--json: one event a line on stdout, each with the fields the README lists, 'done' last", () => {
    const dir = tmp();
    const r = run(['sweep', '--config', config(dir), '--json', '--no-figures'], dir);
    expect(r.status, r.stderr).toBe(0);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const fields = {
      log: ['message'],
      progress: ['label', ...PROGRESS_COUNT_KEYS],
      done: ['output', 'rows', 'rowsResumed', 'rowsShared', 'figures'],
    };
    for (const e of events) {
      const { event, ...rest } = e;
      expect(Object.keys(fields), String(event)).toContain(event);
      expect(Object.keys(rest).sort()).toEqual([...fields[event as keyof typeof fields]].sort());
    }
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(Object.keys(fields)));
    expect(events.at(-1)).toEqual({
      event: 'done',
      output: 'results.arrow',
      rows: 12,
      rowsResumed: 0,
      rowsShared: 0,
      figures: [],
    });
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const said = readme.split('With `--json` each line of stdout is one object:')[1]?.split('stderr.')[0] ?? '';
    for (const [event, keys] of Object.entries(fields))
      for (const key of [`{"event":"${event}"}`, ...keys])
        expect(said, `README on --json: ${key}`).toContain(`\`${key}\``);
  });

  it('kill -9 mid-sweep, then --resume: nothing lost, nothing duplicated, same rows as an uninterrupted run', async () => {
    const dir = tmp();
    // One row at a time: a resumed run's batches differ from the uninterrupted run's, and BLAS
    // may then round differently; alone, every row is computed identically in both runs.
    const spec = config(dir, { ...small, maxEpochs: 200, patience: 200, batchSize: 1 });
    // The uninterrupted run, alongside the one killed and resumed (each its own output).
    const wholeRun = runCliAsync(['sweep', '-c', spec, '-o', 'whole.arrow', '--no-figures', '--quiet'], dir);
    const child = spawn(process.execPath, [cli, 'sweep', '-c', spec, '-o', 'cut.arrow', '--no-figures', '--quiet'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const journal = join(dir, 'cut.arrow.partial');
    // Wait until at least one complete row batch is in the journal (not merely bytes past the
    // schema: the header may land in more than one write), then SIGKILL.
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(journal) && scanJournal(readFileSync(journal)).batches >= 1) {
          clearInterval(t);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((r) => child.on('exit', r));
    expect(existsSync(join(dir, 'cut.arrow'))).toBe(false); // nothing that looks complete

    const resumed = run(['sweep', '-c', spec, '-o', 'cut.arrow', '--no-figures', '--resume'], dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming: [1-9]\d* of 12 rows already done/);
    const whole = await wholeRun;
    expect(whole.status, whole.stderr).toBe(0);
    const a = (await readResults(join(dir, 'whole.arrow'))).records;
    const b = (await readResults(join(dir, 'cut.arrow'))).records;
    expect(b.map((r) => r.rowId)).toEqual(a.map((r) => r.rowId));
    const kl = byRow(a);
    for (const r of b) expect(Math.abs(r.klNats - kl.get(r.rowId)!)).toBeLessThan(1e-4 * Math.max(1, r.klNats));
  });

  it('shards 0/3, 1/3, 2/3 merged equal the unsharded run', async () => {
    const dir = tmp();
    const spec = config(dir);
    // The whole run, the shards and the Slurm one at once, as a cluster runs them: each its own output.
    const runs = await Promise.all([
      runCliAsync(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures', '-q'], dir),
      ...[0, 1, 2].map((i) =>
        runCliAsync(['sweep', '-c', spec, '-o', `s${i}.arrow`, '--shard', `${i}/3`, '--no-figures', '-q'], dir),
      ),
      // The Slurm variables give the same slice as --shard.
      runCliAsync(['sweep', '-c', spec, '-o', 'slurm1.arrow', '--no-figures', '-q'], dir, {
        env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' },
      }),
    ]);
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    const merged = run(['merge', 's0.arrow', 's1.arrow', 's2.arrow', '-o', 'merged.arrow'], dir);
    expect(merged.status, merged.stderr).toBe(0);
    const all = (await readResults(join(dir, 'all.arrow'))).records;
    const m = (await readResults(join(dir, 'merged.arrow'))).records;
    expect(new Set(m.map((r) => r.rowId))).toEqual(new Set(all.map((r) => r.rowId)));
    expect(m).toHaveLength(all.length);
    const kl = byRow(all);
    for (const r of m) expect(Math.abs(r.klNats - kl.get(r.rowId)!)).toBeLessThan(1e-4 * Math.max(1, r.klNats));
    const s1 = (await readResults(join(dir, 's1.arrow'))).records.map((r) => r.rowId);
    expect((await readResults(join(dir, 'slurm1.arrow'))).records.map((r) => r.rowId)).toEqual(s1);
    // --devices: one worker per device, merged at the end — the same rows again.
    const dev = run(['sweep', '-c', spec, '--devices', 'cpu,cpu', '-o', 'devices.arrow', '--no-figures', '-q'], dir);
    expect(dev.status, dev.stderr).toBe(0);
    const d = (await readResults(join(dir, 'devices.arrow'))).records;
    expect(new Set(d.map((r) => r.rowId))).toEqual(new Set(all.map((r) => r.rowId)));
    expect(d).toHaveLength(all.length);
    for (const r of d) expect(Math.abs(r.klNats - kl.get(r.rowId)!)).toBeLessThan(1e-4 * Math.max(1, r.klNats));
    // Merging a shard twice is refused: a usage error, naming the file.
    const dup = run(['merge', 's0.arrow', 's0.arrow', 's1.arrow', 's2.arrow', '-o', 'bad.arrow'], dir);
    expect(dup.status, dup.stderr).toBe(2);
    expect(dup.stderr).toMatch(/cannot merge: s0\.arrow is given twice: give each shard once/);
    expect(existsSync(join(dir, 'bad.arrow'))).toBe(false);
  });

  it('a complete set of shard files beside the output is merged, not rerun; shards of another spec are not', async () => {
    const dir = tmp();
    const spec = config(dir, { ...small, maxEpochs: 20, patience: 20 });
    const shardRuns = await Promise.all(
      [0, 1].map((i) =>
        runCliAsync(
          ['sweep', '-c', spec, '--shard', `${i}/2`, '-o', `all.shard${i}of2.arrow`, '--no-figures', '-q'],
          dir,
        ),
      ),
    );
    for (const r of shardRuns) expect(r.status, r.stderr).toBe(0);
    const shards = [
      ...(await readResults(join(dir, 'all.shard0of2.arrow'))).records,
      ...(await readResults(join(dir, 'all.shard1of2.arrow'))).records,
    ];
    const merged = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures'], dir);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stderr).toContain('merged 2 shard files into all.arrow');
    // Not rerun: every row is its shard's, to the wall time each took there, and counted as resumed.
    expect(merged.stderr).toContain('12 rows in all.arrow (12 resumed)');
    const all = (await readResults(join(dir, 'all.arrow'))).records;
    expect(all).toHaveLength(12);
    const shardRow = new Map(shards.map((r) => [r.rowId, r]));
    for (const r of all) expect({ ...r, shardIndex: 0 }).toEqual({ ...shardRow.get(r.rowId)!, shardIndex: 0 });

    // The same shard files under a sweep whose spec has changed since: it runs afresh.
    const edited = join(dir, 'edited.json');
    writeFileSync(edited, JSON.stringify({ ...small, maxEpochs: 7, patience: 20 }));
    const editedRuns = await Promise.all(
      [0, 1].map((i) =>
        runCliAsync(
          ['sweep', '-c', spec, '--shard', `${i}/2`, '-o', `e.shard${i}of2.arrow`, '-q', '--no-figures'],
          dir,
        ),
      ),
    );
    for (const r of editedRuns) expect(r.status, r.stderr).toBe(0);
    const fresh = run(['sweep', '-c', edited, '-o', 'e.arrow', '--no-figures'], dir);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stderr).not.toMatch(/merged/);
    const rerun = await readResults(join(dir, 'e.arrow'));
    expect(rerun.metadata.spec.maxEpochs).toBe(7);
    expect(rerun.records.every((r) => r.epochs <= 7)).toBe(true);
  });

  it('a run that would merge shard files some of which have not finished refuses, naming a shard that runs, rather than rerunning every row', async () => {
    // Before, a merge run started while a shard was still to run ran the whole sweep itself,
    // ignoring the finished shard, and the shards then could not be merged over its output.
    const dir = tmp();
    const spec = config(dir, { ...small, maxEpochs: 5, patience: 5 });
    const shard0 = run(['sweep', '-c', spec, '--shard', '0/2', '-o', 'all.shard0of2.arrow', '--no-figures', '-q'], dir);
    expect(shard0.status, shard0.stderr).toBe(0);
    const early = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures'], dir);
    expect(early.status, early.stderr).toBe(2);
    expect(early.stderr).toContain(
      'all.arrow: shard files of this sweep are beside it, but not every one of the 2 has finished: ' +
        'all.shard1of2.arrow is missing (shard 1/2 has not run). Run each (--shard i/2, with --resume where one ' +
        'was interrupted), then this command again to merge them; or pass --overwrite to run the whole sweep here instead',
    );
    expect(early.stderr).not.toMatch(/synthesising/);
    expect(existsSync(join(dir, 'all.arrow')) || existsSync(join(dir, 'all.arrow.partial'))).toBe(false);
    // Shard 1 running (its journal begun, its lock held by a live process): named, to be waited
    // for, where 'running, or interrupted' left the user to guess whether to resume it.
    const running = spawn('sleep', ['600']);
    await new Promise((r) => running.once('spawn', r));
    const since = new Date(Date.now() + 5000).toISOString();
    writeFileSync(join(dir, 'all.shard1of2.arrow.partial'), '');
    symlinkSync(`${running.pid} ${hostname()} ${since} sweep`, join(dir, 'all.shard1of2.arrow.lock'));
    const beside = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures'], dir);
    running.kill();
    expect(beside.status, beside.stderr).toBe(2);
    expect(beside.stderr).toContain(
      `all.shard1of2.arrow is being written by process ${running.pid} on ${hostname()} (a sweep since ${since}) (shard 1/2: wait for it to finish)`,
    );
    await new Promise((r) => running.once('close', r));
    const gone = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures'], dir);
    expect(gone.stderr).toContain('all.shard1of2.arrow has not finished (shard 1/2: interrupted)');
    rmSync(join(dir, 'all.shard1of2.arrow.partial'));
    const shard1 = run(['sweep', '-c', spec, '--shard', '1/2', '-o', 'all.shard1of2.arrow', '--no-figures', '-q'], dir);
    expect(shard1.status, shard1.stderr).toBe(0);
    const merged = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures'], dir);
    expect(merged.status, merged.stderr).toBe(0);
    expect(merged.stderr).toContain('merged 2 shard files into all.arrow');
    // --overwrite runs it whole, as the message says.
    rmSync(join(dir, 'all.shard1of2.arrow'));
    const whole = run(['sweep', '-c', spec, '-o', 'all.arrow', '--no-figures', '--overwrite', '-q'], dir);
    expect(whole.status, whole.stderr).toBe(0);
  });

  it('SIGINT stops with exit 130 and keeps the finished rows for --resume', async () => {
    const dir = tmp();
    const spec = config(dir, { ...small, maxEpochs: 400, patience: 400, batchSize: 1 });
    const child = spawn(process.execPath, [cli, 'sweep', '-c', spec, '--no-figures'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    const journal = join(dir, 'results.arrow.partial');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (existsSync(journal) && scanJournal(readFileSync(journal)).batches >= 1) {
          clearInterval(t);
          child.kill('SIGINT');
          resolve();
        }
      }, 20);
    });
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(130);
    expect(err).toMatch(/rerun with --resume/);
    expect(existsSync(join(dir, 'results.arrow'))).toBe(false);
  });

  it('SIGINT once every row is done says the file and figures are finished all the same, and exits 0', async () => {
    const dir = tmp();
    const spec = config(dir, { ...small, maxEpochs: 20, patience: 20, bound: false });
    // Said as the file and figures begin (a second's work here, on a worker thread): the signal lands in it.
    const said = 'every row is done: writing results.arrow and drawing its figures in figures';
    const { code, signal, err, sent } = await interruptWhen(['sweep', '-c', spec], dir, said);
    expect({ sent, code, signal }, err).toEqual({ sent: true, code: 0, signal: null });
    expect(err).toContain(
      'interrupted: every row was done, so results.arrow and its figures are finished all the same; nothing is left to resume',
    );
    expect(err).not.toContain('finishing the current step');
    expect(err).toContain('12 rows in results.arrow (0 resumed)');
    expect((await readResults(join(dir, 'results.arrow'))).records).toHaveLength(12);
    expect(readdirSync(join(dir, 'figures')).sort()).toEqual(['achieved-entropy.svg', 'kl-vs-entropy.svg']);
    expect(readdirSync(dir).sort()).toEqual(['figures', 'results.arrow', 'spec.json']);
  });

  it('a resume interrupted before a new row finished says the journal keeps the rows it had', async () => {
    const dir = tmp();
    // Rows of seconds on the demo model, so that the first run is interrupted with some journaled,
    // and gradient synthesis to interrupt the resume in.
    const spec = demoSpec(dir, { inits: 2, maxEpochs: 300, patience: 300, batchSize: 2, bound: false });
    const journal = join(dir, 'results.arrow.partial');
    const first = spawn(process.execPath, [cli, 'sweep', '-c', spec, '--no-figures', '-q'], { cwd: dir });
    // One Ctrl-C: a second, a second later, would end the process at once.
    const t = setInterval(() => {
      if (!existsSync(journal) || scanJournal(readFileSync(journal)).batches < 1) return;
      clearInterval(t);
      first.kill('SIGINT');
    }, 20);
    expect(await new Promise((r) => first.on('exit', r))).toBe(130);
    const { code, err } = await sigintAtSynthesis(dir, ['sweep', '-c', spec, '--no-figures', '--resume'], [0]);
    expect(code, err).toBe(130);
    const had = /resuming: (\d+) of/.exec(err)?.[1];
    expect(err).toMatch(
      new RegExp(
        `interrupted before a new row finished; results\\.arrow\\.partial keeps the ${had} rows? it had — rerun with --resume`,
      ),
    );
    expect(existsSync(journal)).toBe(true);
  });

  it('Ctrl-C stops a plan in its calibration, saying so (exit 130), and writes nothing', async () => {
    const dir = tmp();
    const spec = demoSpec(dir, { inits: 1, maxEpochs: 50 });
    const child = spawn(process.execPath, [cli, 'sweep', '-c', spec, '--plan'], { cwd: dir });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    // Its calibration on the demo model (gradient synthesis, then the epochs) takes far longer.
    setTimeout(() => child.kill('SIGINT'), 3000);
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      child.on('exit', (c, s) => r([c, s])),
    );
    expect({ code, signal }, out).toEqual({ code: 130, signal: null });
    expect(out).toBe('distprompt: interrupted: the plan stops with its calibration; nothing was written\n');
    expect(readdirSync(dir)).toEqual(['spec.json']);
  });

  /** A spec on the demo model whose targets take seconds to synthesise (gradient synthesis over 50,257 tokens). */
  const demoSpec = (dir: string, over: object) =>
    config(dir, {
      ...small,
      model: 'random:demo',
      targets: [{ kind: 'vanilla', entropyBits: [2, 6, 10, 14] }],
      ...over,
    });

  /**
   * A sweep interrupted while it synthesises its targets (gradient synthesis over the demo model's
   * 50,257 tokens: seconds, to interrupt it in), by SIGINT at each of `afterMs` from then.
   */
  async function interruptSynthesis(afterMs: number[]) {
    const dir = tmp();
    const spec = demoSpec(dir, { inits: 1, maxEpochs: 2 });
    return { dir, spec, ...(await sigintAtSynthesis(dir, ['sweep', '-c', spec, '--no-figures'], afterMs)) };
  }

  /** `distprompt ...args` in `dir`, sent SIGINT at each of `afterMs` after it says it is synthesising. */
  /** `distprompt ...args` in `dir`, sent SIGINT at each of `afterMs` after it says it is synthesising. */
  const sigintAtSynthesis = (dir: string, args: string[], afterMs: number[]) =>
    interruptWhen(args, dir, /synthesising/, afterMs);

  it('SIGINT before the first row: exit 130 without the head bound, no journal left, and the plain rerun runs', async () => {
    // Once: a second Ctrl-C, a second after the first, ends the process at once.
    const { dir, spec, code, err } = await interruptSynthesis([0]);
    expect(code, err).toBe(130);
    expect(err).not.toMatch(/head bound of/);
    expect(err).toMatch(/interrupted before the first row finished; nothing was kept — rerun the same command/);
    expect(existsSync(join(dir, 'results.arrow.partial'))).toBe(false);
    const again = run(['sweep', '-c', spec, '--no-figures', '--no-bound', '-q'], dir);
    expect(again.status, again.stderr).toBe(0);
  });

  it('one SIGINT delivered twice (timeout -s INT signals the process, then its group) stops the run once', async () => {
    // Apart enough that the kernel delivers both, as it does timeout's two.
    const { dir, code, signal, err } = await interruptSynthesis([0, 100]);
    expect({ code, signal }, err).toEqual({ code: 130, signal: null });
    expect(err).toMatch(/interrupted before the first row finished; nothing was kept — rerun the same command/);
    expect(readdirSync(dir).filter((n) => n.startsWith('results.arrow'))).toEqual([]);
  });

  it('targets writes a file that tune and a file-target sweep read; tune prints the best prompts', async () => {
    const dir = tmp();
    const t = run(['targets', '-m', 'random:micro', '--entropy', '0,3,6', '-o', 'targets.json'], dir);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/3 targets over 1000 tokens/);
    const r = run(
      [
        'tune',
        '-m',
        'random:micro',
        '--targets',
        'targets.json',
        '--search',
        'hard',
        '--max-epochs',
        '3',
        '--inits',
        '1',
        '--json',
      ],
      dir,
    );
    expect(r.status, r.stderr).toBe(0);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.map((x) => x.targetId)).toEqual(['vanilla:h=0:s=0', 'vanilla:h=3:s=0', 'vanilla:h=6:s=0']);
    expect(records.every((x) => x.promptIds.length === 5 && x.promptIds.every((id: number) => id >= 0))).toBe(true);
    // The same file as a sweep's `file` targets.
    const spec = config(dir, {
      ...small,
      targets: [{ kind: 'file', path: 'targets.json' }],
      inits: 1,
      maxEpochs: 5,
      patience: 5,
    });
    const sw = run(['sweep', '-c', spec, '-o', 'file.arrow', '--no-figures', '-q'], dir);
    expect(sw.status, sw.stderr).toBe(0);
    expect((await readResults(join(dir, 'file.arrow'))).records.map((x) => x.targetKind)).toEqual([
      'file',
      'file',
      'file',
    ]);
    // Printed as text: a soft prompt is embeddings, named so, not a row of -1 token ids.
    const soft = run(
      ['tune', '-m', 'random:micro', '--targets', 'targets.json', '--max-epochs', '2', '--inits', '1'],
      dir,
    );
    expect(soft.status, soft.stderr).toBe(0);
    expect(soft.stdout).toMatch(
      /^vanilla:h=0:s=0\tinit 0\tKL [\d.]+ nats\tbudget at 2\tsoft prompt \(5 embeddings, not tokens\)$/m,
    );
    expect(soft.stdout).not.toMatch(/-1/);
    const bad = run(['tune', '-m', 'random:tiny-gpt2', '--targets', 'targets.json'], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/targets file targets\.json: its 'vocabSize' is 1000, the model's vocabulary 50257/);
    const cpuGraph = run(['tune', '-m', 'random:micro', '--targets', 'targets.json', '--cuda-graph'], dir);
    expect(cpuGraph.status).toBe(2);
    expect(cpuGraph.stderr).toMatch(/^ {2}--cuda-graph: needs a model on a CUDA device; --device is cpu$/m);
  });

  it.concurrent.for([
    [
      ['tune', '--targets', 't.json', '--entropy', '3'],
      /--entropy would be ignored: the targets come from --targets t\.json/,
    ],
    [['bound', '--targets', 't.json', '--kind', 'lm', '--count', '3'], /--kind, --count would be ignored/],
    [['bound', '--kind', 'lm', '--entropy', '3'], /--entropy does not apply to lm targets \(they take --count\)/],
    [['targets', '--entropy', '2', '--outliers', '2'], /--outliers does not apply to vanilla targets/],
    [['bound', '--entropy', '3', '--point'], /--point prints with --json only/],
  ] as const)(
    // Concurrent: each a process of its own in a folder of its own, mostly node starting.
    'a flag the command would drop or misread, %j, exits 2 naming it before the model loads',
    async ([args, message], { expect }) => {
      const dir = tmp();
      const r = await runCliAsync([...args, '-m', 'random:micro'], dir);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    },
  );

  it('--kind names the kinds it takes in its help and in its refusal of another', () => {
    const dir = tmp();
    const kinds = 'vanilla, outlier, lm, shuffled, pos-uniform or migrated';
    const help = run(['targets', '--help'], dir);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`--kind <kind> ${kinds}`);
    const r = run(['targets', '--kind', 'vanila', '--entropy', '2', '-m', 'random:micro'], dir);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--kind 'vanila' is not one of ${kinds}`);
  });

  it("tune and targets take --dtype for the model's arithmetic; an unknown one exits 2 naming it", () => {
    const dir = tmp();
    const tuneIn = (dtype: string) =>
      run(
        [
          'tune',
          '-m',
          'random:micro',
          '--entropy',
          '3',
          '--inits',
          '1',
          '--max-epochs',
          '3',
          '--json',
          '--dtype',
          dtype,
        ],
        dir,
      );
    const [f32, bf16] = ['float32', 'bfloat16'].map((d) => {
      const r = tuneIn(d);
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout.trim()).klNats as number;
    });
    // The same row in other arithmetic: close, and not the same number.
    expect(bf16).not.toBe(f32);
    expect(Math.abs(bf16 - f32)).toBeLessThan(0.05 * f32);
    const bad = tuneIn('float8');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/dtype 'float8' is not one of float32, bfloat16, float16/);
    const t = run(['targets', '-m', 'random:micro', '--entropy', '2', '--dtype', 'float16', '-o', 't.json'], dir);
    expect(t.status, t.stderr).toBe(0);
  });

  it.concurrent.for([
    [['--inits', '0'], /inits/],
    [['--methods', 'hybrid:HHS'], /pattern 'HHS' has 3 positions but prefixLength is 5/],
    [['--device', 'tpu'], /device/],
    [['--entropy', '0:20:1'], /outside|log2/],
    [['--config', 'nope.json'], /--config nope.json: cannot read it/],
    // README offers the study files as a starting point for --config: named as one, not as 5 unknown keys.
    [
      ['--config', join(import.meta.dirname, '..', 'studies', 'vanilla.json')],
      /vanilla\.json is a study file \(a sweep spec per scale: 'paper', 'smoke'\), not a sweep spec: run it with 'distprompt study vanilla'/,
    ],
    [['--lr', '-1'], /lr/],
    [['--shard', '3/3'], /shard/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--cuda-graph'], /--cuda-graph: needs CUDA devices; cpu is not one/],
    [['--deterministic', '--batch-size', 'auto'], /--deterministic: needs a fixed --batch-size \(e\.g\. 16\)/],
  ] as const)('invalid %j exits 2 with a message naming it', async ([args, message], { expect }) => {
    const dir = tmp();
    const r = await runCliAsync(['sweep', '-c', config(dir), ...args, '--no-figures', '-q'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'results.arrow'))).toBe(false);
  });
});
