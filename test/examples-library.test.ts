// The library examples (examples/library) as a user meets them: compiled with tsc --strict
// --module nodenext against the package ('distprompt' through node_modules, its exports and
// types), then run with node from a folder of the test's own, where 'distprompt' is the package
// installed as a link to this checkout, on random:micro. Each one's printed numbers are checked
// against what they claim: the results file's rows, finite KLs, bounds below the tuned KL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readResults, type StoredRunRecord } from '../lib/index.js';
import { scratchDir, scratchDirs } from './helpers/cli.js';
import { tscErrors } from './helpers/tsc.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('examples-library');
const compiled = join(work, 'out');
/** A fresh folder for a script's run: its output lands there. */
const folder = scratchDirs('examples-library-runs');
const VOCAB = 1000; // random:micro's
const SCRIPTS = ['sweep', 'tune', 'bound'];
// sweep.ts's targets, 0 to log2 1000 every 0.5 bits and log2 1000 itself; its rows, 2 inits by 2 methods.
const SWEEP_TARGETS = Math.floor(Math.log2(VOCAB) / 0.5) + 2;
const SWEEP_ROWS = SWEEP_TARGETS * 2 * 2;

let compileErrors = '';
beforeAll(() => {
  mkdirSync(join(work, 'node_modules'));
  symlinkSync(root, join(work, 'node_modules', 'distprompt'));
  compileErrors = tscErrors(join(root, 'examples', 'library', 'tsconfig.json'), [
    ...['--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext'],
    ...['--outDir', compiled],
  ]);
});

function run(script: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(compiled, `${script}.js`), ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The rows of a tab-separated table printed after its header line, split into cells. */
function table(stdout: string, header: string): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, stdout).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    const cells = line.split('\t');
    if (cells.length < 2) break;
    rows.push(cells);
  }
  return rows;
}

const finiteNonNegative = (x: number) => Number.isFinite(x) && x >= 0;

it('each script compiles with tsc --strict --module nodenext against the built package', () => {
  expect(compileErrors).toBe('');
  for (const s of SCRIPTS) expect(existsSync(join(compiled, `${s}.js`)), s).toBe(true);
});

it("each script imports the library by its package name only, as a user's does", () => {
  for (const s of SCRIPTS) {
    const text = readFileSync(join(root, 'examples', 'library', `${s}.ts`), 'utf8');
    const from = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(from, s).toContain('distprompt');
    expect(
      from.filter((f) => f !== 'distprompt' && !f.startsWith('node:')),
      s,
    ).toEqual([]);
  }
});

it.each(SCRIPTS)(
  '%s.js stops quietly when its reader closes stdout early (exit 0, no stack), leaving no lock',
  async (script) => {
    const dir = folder();
    const child = spawn(process.execPath, [join(compiled, `${script}.js`)], { cwd: dir });
    // The reader (`| head`) gone before the first line: every line the script prints meets EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(status, stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  },
);

describe('sweep.ts', () => {
  it('runs a sweep, reads its results back and prints each method’s mean KL per entropy bin', async () => {
    const dir = folder();
    const r = run('sweep', [], dir);
    expect(r.status, r.stderr).toBe(0);
    const { records } = await readResults(join(dir, 'results-example.arrow'));
    expect(new Set(records.map((x) => x.targetId)).size).toBe(SWEEP_TARGETS);
    expect(records).toHaveLength(SWEEP_ROWS);
    expect(r.stdout).toContain(`${records.length} rows in results-example.arrow (0 resumed)`);
    expect(records.every((x) => finiteNonNegative(x.klNats))).toBe(true);

    // The table's means, from the file: each target's best over its inits, averaged per bin.
    const best = new Map<string, StoredRunRecord>();
    for (const x of records) {
      const key = `${x.method} ${x.targetId}`;
      if (!best.has(key) || x.klNats < best.get(key)!.klNats) best.set(key, x);
    }
    const mean = (method: string, bin: number) => {
      const kls = [...best.values()]
        .filter((x) => x.method === method && Math.floor(x.targetEntropyBits) === bin)
        .map((x) => x.klNats);
      return kls.reduce((a, b) => a + b, 0) / kls.length;
    };
    const rows = table(r.stdout, 'entropy bits');
    expect(rows).toHaveLength(Math.ceil(Math.log2(VOCAB)));
    for (const [bins, soft, hard] of rows) {
      const bin = Number(bins.split('-')[0]);
      expect(Number(soft), bins).toBeCloseTo(mean('soft', bin), 4);
      expect(Number(hard), bins).toBeCloseTo(mean('hard', bin), 4);
    }

    // The hardest soft target, made again by synthesizeTargets, has the entropy its row records.
    const hardest = records.filter((x) => x.method === 'soft').sort((a, b) => b.klNats - a.klNats)[0];
    const line = /hardest for soft prompts: (\S+) \(([\d.]+) nats\), ([\d.]+) bits/.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    expect(line![1]).toBe(hardest.targetId);
    expect(Number(line![3])).toBeCloseTo(hardest.targetEntropyBits, 3);

    // Run again, the finished file is read, not rerun.
    const again = run('sweep', [], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${records.length} rows in results-example.arrow (${records.length} resumed)`);
  });

  it('Ctrl-C keeps the finished rows (exit 130), and the same command resumes from them', async () => {
    const dir = folder();
    const script = join(compiled, 'sweep.js');
    // Interrupted once the soft rows are done, while the hard ones run: the soft rows are kept.
    // On random:tiny-gpt2 (33 targets over 50,257 tokens) the hard rows take seconds, where on
    // random:micro they took about 0.15 s, too short a window for a signal on a loaded machine.
    const model = 'random:tiny-gpt2';
    const rows = (Math.floor(Math.log2(50257) / 0.5) + 2) * 2 * 2;
    const child = spawn(process.execPath, [script, model], {
      cwd: dir,
      env: { ...process.env, DISTPROMPT_THREADS: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Once: a second Ctrl-C would end the process at once, as it does the command line's.
      if (/^soft: 50%/m.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(status, stderr).toBe(130);
    const kept = Number(/(\d+) finished rows kept in results-example\.arrow\.partial/.exec(stderr)?.[1]);
    // Every soft row and not every hard one.
    expect(kept, stderr).toBeGreaterThanOrEqual(rows / 2);
    expect(kept, stderr).toBeLessThan(rows);
    expect(existsSync(join(dir, 'results-example.arrow'))).toBe(false);

    const resumed = run('sweep', [model], dir);
    expect(resumed.status, resumed.stderr).toBe(0);
    const { records } = await readResults(join(dir, 'results-example.arrow'));
    expect(resumed.stdout).toContain(`${records.length} rows in results-example.arrow (${kept} resumed)`);
    expect(new Set(records.map((x) => x.rowId)).size).toBe(records.length);
  });

  it('Ctrl-C before the first row finishes says nothing was kept, and leaves no journal', async () => {
    const dir = folder();
    const script = join(compiled, 'sweep.js');
    // Interrupted at the run's first line, while its targets and head bounds are made: on
    // random:tiny-gpt2 (33 targets over 50,257 tokens) those take seconds, and no row runs before them.
    const child = spawn(process.execPath, [script, 'random:tiny-gpt2'], { cwd: dir });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^no journal to resume/m.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const status = await new Promise<number | null>((done) => child.on('close', done));
    expect(status, stderr).toBe(130);
    expect(stderr).toContain('no row had finished: nothing was kept');
    expect(stderr).not.toMatch(/rows kept in/);
    expect(existsSync(join(dir, 'results-example.arrow.partial'))).toBe(false);
  });

  it('a wrong argument is a usage error (exit 2), an unknown model a message without a stack (exit 2, as the CLI’s)', () => {
    const dir = folder();
    const usage = run('sweep', ['random:micro', 'out.arrow', 'extra'], dir);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/^usage: sweep\.js \[model\] \[output\]/);
    const unknown = run('sweep', ['random:no-such-preset'], dir);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^sweep: unknown preset 'random:no-such-preset'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('tune.ts', () => {
  it('prints each target’s best soft and hard KL, soft the lower', () => {
    const r = run('tune', [], folder());
    expect(r.status, r.stderr).toBe(0);
    const rows = table(r.stdout, 'target\t');
    // 1 to log2 1000 every 2 bits, and log2 1000 itself.
    expect(rows).toHaveLength(6);
    const soft = rows.map((c) => Number(c[2]));
    const hard = rows.map((c) => Number(c[3]));
    expect([...soft, ...hard].every(finiteNonNegative), r.stdout).toBe(true);
    // Targets by rising entropy, each within 0.05 bits of its grid value.
    for (const [id, bits] of rows)
      expect(Math.abs(Number(bits) - Number(/h=([\d.]+)/.exec(id)![1]))).toBeLessThan(0.05);
    // The study's soft < hard, over the set (a single target may tie within rounding).
    expect(soft.reduce((a, b) => a + b)).toBeLessThan(hard.reduce((a, b) => a + b));
    // Each hard prompt is token ids (random:micro has no tokenizer to decode them).
    for (const c of rows) expect(c[4]).toMatch(/^ids( \d+){5}$/);
    // The row events counted every row, by its stop reason.
    expect(r.stderr).toMatch(/^soft: (\d+ stopped by \w+(, )?)+; \d+ row-steps\/s$/m);
    expect(r.stderr).toMatch(/^hard: (\d+ stopped by \w+(, )?)+; \d+ row-steps\/s$/m);
  });
});

describe('bound.ts', () => {
  it('prints each target’s head bound at or below its sphere bound and the tuned KL', () => {
    const r = run('bound', [], folder());
    expect(r.status, r.stderr).toBe(0);
    const rows = table(r.stdout, 'target\t');
    expect(rows).toHaveLength(6);
    for (const [id, , ...cells] of rows) {
      const [head, sphere, kl, gap] = cells.map(Number);
      expect([head, sphere, kl].every(finiteNonNegative), id).toBe(true);
      expect(head, id).toBeLessThanOrEqual(sphere + 1e-4);
      // The ball bound is certified: no prompt goes below it (but for the solver's tolerance).
      expect(kl, id).toBeGreaterThanOrEqual(head - 1e-3);
      expect(gap, id).toBeCloseTo(kl - sphere, 3);
    }
  });
});
