// Hostile command lines and concurrent runs, as a user meets them: a child process of the built
// CLI. Sizes nobody could allocate, one writer per output (a second run, a resume or a merge is
// refused naming the process that writes; a killed writer's lock is taken over), merges that do
// not replace files, and flags or study files that are wrong: exit 2, the flag, file or field
// named, before any work.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, runCli } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-hostile-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI in a child process; `node` flags go to that Node (a heap limit, say). */
const run = (args: string[], node: string[] = []) => runCli(args, dir, { node });
/** A JavaScript heap far below what the refused plans would need (a grid of 156 million numbers is
 * over a GB): a CLI that built one before refusing it would die of it rather than exit 2. */
const SMALL_HEAP = ['--max-old-space-size=128'];

/** A sweep of hundreds of 300-epoch rows: long enough to act on while it runs. */
const slow = (entropyBits: string, inits: number) => ({
  targets: [{ kind: 'vanilla', entropyBits, method: 'temperature' }],
  inits,
  maxEpochs: 300,
  patience: 300,
  batchSize: 8,
});
const config = (name: string, over: object = {}): string => writeMicroConfig(dir, name, { bound: false, ...over });
/** The lock is a symbolic link to a name that does not exist: existsSync would follow it. */
const isLink = (path: string) => lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;

async function grows(path: string, beyond: number): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const size = existsSync(path) ? readFileSync(path).length : -1;
    if (size > beyond) return size;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path} did not grow beyond ${beyond} bytes in 120 s`);
}

function twin(name: string, over: object): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const base = { model_type: 'gpt2', vocab_size: 1000, n_embd: 32, n_layer: 2, n_head: 2, n_positions: 64 };
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...base, ...over }));
  return `random:${d}`;
}

describe('sizes and config values refused before any allocation', () => {
  it('sweep on n_layer 10^9: exit 2 naming n_layer and both sizes, and no journal', () => {
    const r = run(['sweep', '-m', twin('huge', { n_layer: 1e9 }), '-o', 'huge.arrow', '--no-figures', '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'n_layer' 1000000000 layers/);
    expect(r.stderr).toMatch(/more than the .* of memory free on cpu/);
    expect(existsSync(join(dir, 'huge.arrow.partial'))).toBe(false);
  });
  it('sweep on layer_norm_epsilon -1: exit 2 naming the key', () => {
    const r = run(['sweep', '-m', twin('eps', { layer_norm_epsilon: -1 }), '-o', 'eps.arrow', '--no-figures', '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/config\.json: 'layer_norm_epsilon' must be a number above 0/);
  });
  it('a prompt longer than n_positions: exit 2 naming the field, before the targets and their bounds are made', () => {
    const short = twin('short', { n_positions: 4 });
    const cases: Array<[string[], RegExp]> = [
      [['--prefix-length', '5'], /- --prefix-length: 5 positions do not fit .*'s 4 learned positions/],
      [
        ['--prefix-length', '3', '--targets', 'lm'],
        /- --targets \(targets\[0\]\.promptLength\): 5 positions do not fit/,
      ],
    ];
    for (const [flags, message] of cases) {
      const r = run(['sweep', '-m', short, '--inits', '1', ...flags, '-o', 'short.arrow', '--no-figures']);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/config\.json n_positions/);
      expect(r.status).toBe(2);
      // Before, the tuner refused it once the targets and their head bounds were made.
      expect(r.stderr).not.toMatch(/synthesising|head bound/);
      expect(existsSync(join(dir, 'short.arrow.partial'))).toBe(false);
    }
  });
  it('HotFlip candidates beyond the vocabulary: exit 2 naming the field, before any row runs', () => {
    // Before, the soft rows ran, then the tuner's 'hotflip: k = 101 must be in 1..100' (exit 1).
    const small = twin('small-vocab', { vocab_size: 100 });
    const sweep = run(['sweep', '-m', small, '--methods', 'soft,hard:k=101', '--inits', '1', '-o', 'k.arrow', '-q']);
    expect(sweep.stderr).toMatch(
      /- --methods \(methods\[1\]\.candidates\): 101 HotFlip candidates per hard position, and .* has 100 tokens to choose from: give at most 100/,
    );
    expect(sweep.status).toBe(2);
    expect(existsSync(join(dir, 'k.arrow.partial'))).toBe(false);
    const tune = run(['tune', '-m', small, '--search', 'hybrid', '--pattern', 'SSSSH', '-k', '101', '--inits', '1']);
    expect(tune.stderr).toMatch(/--candidates: 101 HotFlip candidates per hard position, .* give at most 100/);
    expect(tune.status).toBe(2);
  });
  it('--entropy 0:max:0.0000001 and --inits 10^9: exit 2 naming the field, in a small heap', () => {
    const e = run(
      ['sweep', '-c', config('fine.json'), '--entropy', '0:max:0.0000001', '-o', 'fine.arrow', '-q'],
      SMALL_HEAP,
    );
    expect(e.status).toBe(2);
    expect(e.stderr).toMatch(/- --entropy: '0:max:0.0000001' makes [\d,]+ entropies, more than the 1,000,000/);
    const i = run(
      ['sweep', '-c', config('inits.json'), '--inits', '1000000000', '-o', 'inits.arrow', '-q'],
      SMALL_HEAP,
    );
    expect(i.status).toBe(2);
    expect(i.stderr).toMatch(/inits: must be at most 1,000,000/);
    const b = run(['bound', '-m', 'random:micro', '--entropy', '0:max:0.0000001'], SMALL_HEAP);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/--entropy: '0:max:0.0000001' makes [\d,]+ entropies/);
  });
});

describe('one writer per output', () => {
  it('a second sweep and a resume are refused naming the running one; its kill leaves a lock the resume takes over', async () => {
    const cfg = config('long.json', slow('0:max:0.05', 20));
    const first = spawn(process.execPath, [cli, 'sweep', '-c', cfg, '-o', 'long.arrow', '--no-figures', '-q'], {
      cwd: dir,
      stdio: 'ignore',
    });
    const journal = join(dir, 'long.arrow.partial');
    await grows(journal, await grows(journal, 0)); // the schema, then a first batch of rows
    const pid = first.pid!;
    try {
      const second = run(['sweep', '-c', cfg, '-o', 'long.arrow', '--no-figures', '-q']);
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(
        new RegExp(`long\\.arrow is being written by process ${pid} on ${hostname()} \\(a sweep since \\d{4}-`),
      );
      expect(second.stderr).not.toMatch(/delete the file/);
      const resume = run(['sweep', '-c', cfg, '-o', 'long.arrow', '--resume', '--no-figures', '-q']);
      expect(resume.status).toBe(2);
      expect(resume.stderr).toMatch(new RegExp(`being written by process ${pid}`));
      const merge = run(['merge', 'whatever.arrow', '-o', 'long.arrow']);
      expect(merge.status).toBe(2);
      expect(merge.stderr).toMatch(new RegExp(`being written by process ${pid}`));
      expect(first.exitCode).toBeNull(); // still running, undisturbed
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
    }
    expect(isLink(join(dir, 'long.arrow.lock'))).toBe(true); // a kill leaves it behind
    const bytesBefore = readFileSync(journal).length;
    // The stale lock is taken over; the resume keeps every row the killed run journaled.
    const child = spawn(
      process.execPath,
      [cli, 'sweep', '-c', cfg, '-o', 'long.arrow', '--resume', '--no-figures', '-q'],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await grows(journal, bytesBefore);
    const lock = { pid: Number(readlinkSync(join(dir, 'long.arrow.lock')).split(' ')[0]) };
    child.kill('SIGINT');
    const code = await new Promise((r) => child.once('exit', r));
    expect(stderr).not.toMatch(/being written by/);
    expect(lock.pid).toBe(child.pid);
    expect(code).toBe(130);
    expect(readFileSync(journal).length).toBeGreaterThan(bytesBefore);
    expect(isLink(join(dir, 'long.arrow.lock'))).toBe(false); // released on the way out
  }, 180_000);

  it('a --devices sweep holds its merged output for the whole run: workers, then the merge', async () => {
    const cfg = config('held.json', slow('0:max:0.05', 20));
    const parent = spawn(
      process.execPath,
      [cli, 'sweep', '-c', cfg, '--devices', 'cpu,cpu', '-o', 'held.arrow', '--no-figures', '-q'],
      { cwd: dir, stdio: 'ignore' },
    );
    const journal = join(dir, 'held.shard0of2.arrow.partial');
    await grows(journal, await grows(journal, 0)); // a worker is tuning
    try {
      // The merged output is the parent's while its workers run, not only once they are done.
      expect(readlinkSync(join(dir, 'held.arrow.lock')).split(' ')[0]).toBe(String(parent.pid));
      const merge = run(['merge', 'whatever.arrow', '-o', 'held.arrow']);
      expect(merge.status).toBe(2);
      expect(merge.stderr).toMatch(
        new RegExp(`held\\.arrow is being written by process ${parent.pid} .*\\(a sweep since`),
      );
      const second = run(['sweep', '-c', cfg, '--devices', 'cpu,cpu', '-o', 'held.arrow', '--no-figures', '-q']);
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(new RegExp(`being written by process ${parent.pid}`));
    } finally {
      parent.kill('SIGINT');
    }
    expect(await new Promise((r) => parent.once('exit', r))).toBe(130);
    expect(isLink(join(dir, 'held.arrow.lock'))).toBe(false); // released on the way out
    expect(readdirSync(dir).filter((f) => f.startsWith('held.shard') && f.endsWith('.lock'))).toEqual([]);
  }, 180_000);

  it('merge obeys --overwrite, as sweep does', () => {
    const s = run(['sweep', '-c', config('m.json'), '-o', 'm.arrow', '--no-figures', '-q']);
    expect(s.status).toBe(0);
    // Opening as an Arrow file does: an output holding anything else (a spec, targets) is never replaced.
    writeFileSync(join(dir, 'taken.arrow'), 'ARROW1 not mine');
    const refused = run(['merge', 'm.arrow', '-o', 'taken.arrow']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/taken\.arrow already exists: choose another output, or pass --overwrite/);
    expect(readFileSync(join(dir, 'taken.arrow'), 'utf8')).toBe('ARROW1 not mine');
    expect(run(['merge', 'm.arrow', '-o', 'taken.arrow', '--overwrite']).status).toBe(0);
    expect(readFileSync(join(dir, 'taken.arrow')).length).toBeGreaterThan(100);
    expect(readdirSync(dir).filter((f) => f.includes('.lock'))).toEqual([]);
  });
});

describe('a finished sweep never replaces a file it did not start with', () => {
  it('a file that appears at the output while the sweep runs is kept; the rows stay in the journal', async () => {
    const cfg = config('appear.json', slow('0:max:0.5', 2));
    const child = spawn(process.execPath, [cli, 'sweep', '-c', cfg, '-o', 'appear.arrow', '--no-figures', '-q'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await grows(join(dir, 'appear.arrow.partial'), 0);
    writeFileSync(join(dir, 'appear.arrow'), 'made by someone else');
    const code = await new Promise((r) => child.once('exit', r));
    expect(stderr).toMatch(
      /appear\.arrow appeared while this run was writing it .* left as it is: move it away, then rerun/,
    );
    expect(stderr).toMatch(/all \d+ rows are kept in .*appear\.arrow\.partial/);
    expect(code).toBe(2);
    expect(readFileSync(join(dir, 'appear.arrow'), 'utf8')).toBe('made by someone else');
    expect(existsSync(join(dir, 'appear.arrow.partial'))).toBe(true);
  }, 180_000);
});

describe('exit codes and names', () => {
  it('--devices: a worker that exits 2 makes the parent exit 2', () => {
    const r = run([
      'sweep',
      '-c',
      config('dev.json'),
      '-m',
      'random:no-such-preset',
      '--devices',
      'cpu,cpu',
      '-o',
      'dev.arrow',
      '-q',
    ]);
    expect(r.stderr).toMatch(/unknown preset 'random:no-such-preset'/);
    expect(r.stderr).toMatch(/worker \d on cpu failed \(exit 2/);
    expect(r.status).toBe(2);
  });
  it("--reuse '' (an unset shell variable) is refused as the flag's (exit 2), before any work", () => {
    const r = run(['sweep', '-c', config('no-reuse-name.json'), '-o', 'no-reuse-name.arrow', '--reuse', '']);
    expect(r.stderr).toMatch(/^distprompt: --reuse names an empty path: give each finished results file/m);
    expect(r.status).toBe(2);
    expect(existsSync(join(dir, 'no-reuse-name.arrow'))).toBe(false);
  });
  it('a flag right after --reuse is named as a flag, not read as a missing results file (exit 2)', () => {
    const r = run(['sweep', '-c', config('reuse-flag.json'), '-o', 'reuse-flag.arrow', '--reuse', '--no-figures']);
    expect(r.stderr).toMatch(
      /^distprompt: --reuse --no-figures: --no-figures is not a file but reads as a flag; put --reuse after/m,
    );
    expect(r.status).toBe(2);
    expect(existsSync(join(dir, 'reuse-flag.arrow'))).toBe(false);
  });
  it("--figures '' (an unset shell variable) is refused as the flag's (exit 2), before any work", () => {
    const r = run(['sweep', '-c', config('no-figures-name.json'), '-o', 'no-figures-name.arrow', '--figures', '']);
    expect(r.stderr).toMatch(/^distprompt: --figures is an empty path: give a folder .* or --no-figures for none$/m);
    expect(r.status).toBe(2);
    expect(existsSync(join(dir, 'no-figures-name.arrow'))).toBe(false);
  });
  it('contradictory flags are refused before any work', () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['sweep', '--devices', 'cpu,cpu', '--device', 'cpu'],
        /--devices cpu,cpu gives every worker its device: drop --device cpu/,
      ],
      [['sweep', '--devices', 'cpu,cpu', '--shard', '0/2'], /--devices cpu,cpu shards the run .* drop --shard 0\/2/],
      [['sweep', '--resume', '--overwrite'], /--resume and --overwrite contradict each other/],
      // A flag and its negation: the parser kept the last (no figures), without a word.
      [['sweep', '--figures', 'figs', '--no-figures'], /--figures and --no-figures contradict each other: give one/],
      [['sweep', '--no-cuda-graph', '--cuda-graph'], /--cuda-graph and --no-cuda-graph contradict each other/],
      [
        ['tune', '-m', 'random:micro', '--cuda-graph', '--no-cuda-graph'],
        /--cuda-graph and --no-cuda-graph contradict/,
      ],
      [['study', 'vanilla', '-m', 'random:micro', '--devices', 'cpu,cpu', '--device', 'cpu'], /drop --device cpu/],
      [['study', 'vanilla', '-m', 'random:micro', '--devices', 'cpu,cpu', '--shard', '1/2'], /drop --shard 1\/2/],
      [['study', 'vanilla', '-m', 'random:micro', '--resume', '--overwrite'], /--resume and --overwrite contradict/],
      [
        ['study', 'vanilla', '-m', 'random:micro,random:micro'],
        /the model random:micro is given twice: give each model once/,
      ],
      [
        ['study', 'vanilla', '-m', 'random:micro', '--dtype', 'int8'],
        /^distprompt: --dtype: must be 'float32', 'bfloat16' or 'float16', got 'int8'/m,
      ],
      [['bound', '-m', 'random:micro', '--seed', '-1'], /--seed must be an integer >= 0, got '-1'/],
      // --shard-count counts a scheduler's index: without one the run would go ahead unsharded.
      [['sweep', '--shard-count', '3'], /--shard-count 3 counts the shard index a scheduler sets .* none is set/],
      [['sweep', '--shard-count', 'abc'], /--shard-count must be an integer >= 1, got 'abc'/],
      [
        ['study', 'vanilla', '-m', 'random:micro', '--shard', '0/2', '--shard-count', '2'],
        /--shard 0\/2 gives the shard count itself: drop --shard-count 2/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = run(['bound', 'tune'].includes(args[0]) ? args : [...args, '-o', join(dir, 'never')]);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr).not.toMatch(/studies\/vanilla\.json/);
      expect(r.status, args.join(' ')).toBe(2);
      expect(existsSync(join(dir, 'never'))).toBe(false);
    }
  });
  it('the devices asked for are never dropped for the CPU: one is where the run goes; several beside a shard are refused', () => {
    // No machine has a cuda:63: a run that went there is refused naming it; one that ran did so on the CPU.
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['sweep', '-c', config('one-device.json'), '--devices', 'cuda:63'], /cuda:63/],
      [['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--devices', 'cuda:63'], /cuda:63/],
      // A scheduler's shard is a --shard the user did not type.
      [
        ['sweep', '-c', config('array-devices.json'), '--devices', 'cpu,cpu'],
        /--devices cpu,cpu shards the run across the devices itself, and SLURM_ARRAY_TASK_ID makes this task shard 1\/3 already, .* give it with --device/,
        { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' },
      ],
      [
        ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--devices', 'cpu,cpu'],
        /JOB_COMPLETION_INDEX makes this task shard 0\/2 already/,
        { JOB_COMPLETION_INDEX: '0', DISTPROMPT_SHARD_COUNT: '2' },
      ],
      [
        ['sweep', '-c', config('spec-devices-shard.json', { devices: ['cpu', 'cpu'], shard: '0/2' })],
        /devices: \[cpu, cpu\] split the sweep into a shard per device, and this run is one shard of it already \(shard 0\/2\)/,
      ],
    ];
    const out = join(dir, 'never');
    for (const [args, message, env] of cases) {
      const r = runCli([...args, '-o', out], dir, { env });
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.status, args.join(' ')).toBe(2);
      // A study makes its folder before its models load: no sweep's results in it.
      expect(existsSync(args[0] === 'sweep' ? out : join(out, 'vanilla.random_micro.arrow'))).toBe(false);
      rmSync(out, { recursive: true, force: true });
    }
  });
  it("a scheduler's shard index without a count it can use is refused naming the flag or variable that gives one", () => {
    const cases: Array<[Record<string, string>, RegExp, RegExp?]> = [
      [{ JOB_COMPLETION_INDEX: '1' }, /set DISTPROMPT_SHARD_COUNT to the Job's completions, or pass --shard-count N/],
      [
        { JOB_COMPLETION_INDEX: '3', DISTPROMPT_SHARD_COUNT: '3' },
        /shard index 3 \(from JOB_COMPLETION_INDEX\) must be < count 3; the count \(DISTPROMPT_SHARD_COUNT or --shard-count\) must be the Job's completions/,
        /Slurm/,
      ],
      [{ SLURM_ARRAY_TASK_ID: '2' }, /SLURM_ARRAY_TASK_COUNT is not: pass --shard-count N/],
    ];
    for (const [env, message, not] of cases) {
      const r = runCli(['sweep', '-c', config('env-shard.json'), '-o', join(dir, 'never')], dir, { env });
      expect(r.stderr, JSON.stringify(env)).toMatch(message);
      if (not) expect(r.stderr).not.toMatch(not);
      expect(r.status).toBe(2);
      expect(existsSync(join(dir, 'never'))).toBe(false);
    }
  });
  it('broken study files: exit 2 naming the file and the field; --list names the broken one after the rest', () => {
    const studies = join(dir, 'studies');
    mkdirSync(studies);
    copyFileSync(join(root, 'studies', 'lm.json'), join(studies, 'lm.json'));
    const vanilla = JSON.parse(readFileSync(join(root, 'studies', 'vanilla.json'), 'utf8'));
    writeFileSync(
      join(studies, 'strtargets.json'),
      JSON.stringify({ ...vanilla, smoke: { ...vanilla.smoke, targets: 'x' } }),
    );
    writeFileSync(
      join(studies, 'neginits.json'),
      JSON.stringify({ ...vanilla, smoke: { ...vanilla.smoke, inits: -3 } }),
    );
    const a = run(['study', 'strtargets', '--studies', studies, '-m', 'random:micro', '--scale', 'smoke', '-o', 'st']);
    expect(a.status).toBe(2);
    expect(a.stderr).toMatch(/strtargets\.json \(paper\): targets: |strtargets\.json \(smoke\): targets: /);
    const b = run(['study', 'neginits', '--studies', studies, '-m', 'random:micro', '--scale', 'smoke', '-o', 'ni']);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/neginits\.json \(smoke\): inits: must be >= 1/);
    const list = run(['study', '--list', '--studies', studies]);
    expect(list.status).toBe(2);
    expect(list.stdout).toMatch(/^lm /m);
    expect(list.stderr).toMatch(/neginits\.json \(smoke\): inits/);
    expect(list.stderr).toMatch(/strtargets\.json \(smoke\): targets/);
    // A file given as the folder: named, with what to give instead, for a run and for --list.
    for (const args of [['study', 'vanilla', '-m', 'random:micro'], ['study'], ['study', '--list']]) {
      const r = run([...args, '--studies', join(studies, 'lm.json')]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /studies folder .*lm\.json: cannot list it \(it is a file\); give a folder of study \.json files/,
      );
    }
  });
  // Mounting needs root: without it the case is reported skipped, not passed.
  const mountRo = (at: string) => spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', at]).status === 0;
  const canMount = (() => {
    const probe = join(dir, 'ro-probe');
    mkdirSync(probe);
    if (!mountRo(probe)) return false;
    mounts.push(probe);
    return true;
  })();
  if (!canMount) console.warn('hostile-cli.test: cannot mount a tmpfs (not root?): read-only case skipped');
  it.skipIf(!canMount)('sweep --figures on a read-only file system is refused before any row is run', () => {
    const at = join(dir, 'ro-figures');
    mkdirSync(at);
    expect(mountRo(at)).toBe(true);
    mounts.push(at);
    const r = run(['sweep', '-c', config('ro-figures.json'), '-o', 'ro-figures.arrow', '--figures', join(at, 'figs')]);
    expect(r.stderr).toMatch(/ro-figures\/figs is on a read-only file system: choose an output on a writable one/);
    expect(r.status).toBe(1);
    // Before, the rows ran and the sweep failed at its last step, drawing the figures.
    expect(r.stderr).not.toMatch(/synthesising|rows in/);
    expect(existsSync(join(dir, 'ro-figures.arrow'))).toBe(false);
    expect(existsSync(join(dir, 'ro-figures.arrow.partial'))).toBe(false);
  });
  it.skipIf(!canMount)('study -o on a read-only file system names it (exit 1: a fault of the machine)', () => {
    const at = join(dir, 'ro');
    mkdirSync(at);
    expect(mountRo(at)).toBe(true);
    mounts.push(at);
    const r = run(['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '-o', join(at, 'study')]);
    expect(r.stderr).toMatch(/read-only file system/);
    expect(r.stderr).not.toMatch(/ENOENT|no such file/);
    expect(r.status).toBe(1);
  });
});
