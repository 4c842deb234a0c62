// The benchmarks read only the flags they declare (bench/flags.ts): a misspelt flag, a flag
// without its value or a value that is not a number exits 2 naming the script, the flag and the
// value, before the addon or a model loads (each child here is given an addon path that does not
// exist, so a script that reached the addon would fail another way); --help prints each flag
// with its default. The built scripts (dist/bench), as a user runs them.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { FlagError, parseFlags } from '../bench/flags.js';

const root = join(import.meta.dirname, '..');

function bench(script: string, argv: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'dist', 'bench', script), ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DISTPROMPT_ADDON: join(root, 'no-such-addon.node') },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The refusal's shape: exit 2, the script and what was wrong on stderr, the flags it reads, no stack trace. */
function expectRefused(r: ReturnType<typeof bench>, ...mentions: string[]) {
  expect(r.stderr).toContain('node dist/bench/');
  for (const m of mentions) expect(r.stderr).toContain(m);
  expect(r.stderr).toMatch(/reads --\S+ --\S+/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.status).toBe(2);
}

describe('a benchmark command line', () => {
  it('with an unknown flag is refused, naming it and its value and listing the flags read', () => {
    const r = bench('tune.js', ['--dtpye', 'bfloat16']);
    expectRefused(r, 'tune.js', '--dtpye', "'bfloat16'", '--dtype');
  });

  it('with a flag missing its value is refused, last or followed by another flag', () => {
    expectRefused(bench('tune.js', ['--quick', '--reps']), 'tune.js', '--reps', 'none');
    expectRefused(bench('scaling.js', ['--reps', '--quick']), 'scaling.js', '--reps', '--quick');
  });

  it('with a non-number where a number is read is refused, naming the value', () => {
    expectRefused(bench('tune.js', ['--reps', 'two']), '--reps', "'two'", 'number');
    expectRefused(bench('scaling.js', ['--vocabs', '1000,lots']), '--vocabs', "'lots'");
  });

  it('with a word the script does not know, or a method label it cannot read, is refused', () => {
    expectRefused(bench('tune.js', ['--dtype', 'bf16']), '--dtype', "'bf16'", 'bfloat16');
    expectRefused(bench('graph.js', ['--methods', 'soft,hardd']), '--methods', "'hardd'");
    expectRefused(bench('graph.js', ['--batches', '16,autp']), '--batches', "'autp'");
    expectRefused(bench('kernels.js', ['--device', 'gpu']), '--device', "'gpu'", 'cuda:N');
    expectRefused(bench('run.js', ['--device', 'cuda:x']), '--device', "'cuda:x'", 'cuda:N');
  });

  it('with a bare word or a repeated flag is refused', () => {
    expectRefused(bench('kernels.js', ['cuda']), "'cuda'");
    expectRefused(bench('graph.js', ['--reps', '1', '--reps', '2']), '--reps', 'twice');
  });

  it('of the GPU parity script (bench/gpu/cuda-parity.mjs) is refused the same way, before the library loads', () => {
    const run = (argv: string[]) => {
      const r = spawnSync(process.execPath, [join(root, 'bench', 'gpu', 'cuda-parity.mjs'), ...argv], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, DISTPROMPT_ADDON: join(root, 'no-such-addon.node') },
      });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const r = run(['--devcie', 'cuda']);
    expect(r.stderr).toContain('node bench/gpu/cuda-parity.mjs: unknown flag --devcie');
    expect(r.stderr).toMatch(/reads --device --out --help/);
    expect(r.status).toBe(2);
    const help = run(['--help']);
    expect(help.stdout).toMatch(/^Usage: node bench\/gpu\/cuda-parity\.mjs \[flags\]\n {2}--device X +the device/);
    expect(help.status).toBe(0);
  });

  it('with a flag the script would ignore beside the others given is refused, naming both', () => {
    expectRefused(bench('bound-plan.js', ['--groups']), '--groups', '--mode sweep', "'plan' (its default)");
    expectRefused(
      bench('bound-plan.js', ['--study', 'vanilla', '--kind', 'outlier']),
      '--kind is ignored with --study',
    );
    expectRefused(bench('bound-plan.js', ['--entropy', '0:4:1']), '--entropy is read only with --kind');
    expectRefused(bench('bound-targets.js', ['--outliers', '2']), '--outliers', '--kind outlier', "'vanilla'");
    expectRefused(bench('scaling.js', ['--series', 'batch', '--vocabs', '1000']), '--vocabs', '--series holds vocab');
    expectRefused(bench('targets.js', ['--paper', '--count', '8']), '--count is ignored with --paper');
    expectRefused(bench('methods.js', ['--batch', '8', '--max-batch', '16']), '--max-batch is ignored with --batch');
    expectRefused(
      bench('kernel-choices.js', ['--choices', 'sharedTargets', '--gqa-model', 'random:micro']),
      '--gqa-model',
      '--choices holds groupedAttention or fusedRmsNorm',
    );
    for (const [script, ...argv] of [
      ['bound-plan.js', '--mode', 'sweep', '--groups'],
      ['bound-plan.js', '--kind', 'outlier', '--outliers', '2', '--entropy', '4'],
      ['bound-targets.js', '--kind', 'outlier', '--outliers', '2'],
      ['scaling.js', '--series', 'vocab,batch', '--vocabs', '1000'],
      ['kernel-choices.js', '--gqa-model', 'random:micro'],
    ]) {
      const r = bench(script, [...argv, '--help']);
      expect(r.status, `${script} ${argv.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(bench('bound-plan.js', ['--help']).stdout).toMatch(/--groups +each group .*\(only with --mode sweep\)/);
  });

  it('of the dependency closure (bench/gpu/closure.mjs) is refused, naming what is wrong, and read when right', () => {
    const run = (argv: string[]) =>
      spawnSync(process.execPath, [join(root, 'bench', 'gpu', 'closure.mjs'), ...argv], {
        cwd: root,
        encoding: 'utf8',
      });
    for (const [argv, says] of [
      [[], 'no ROOT'],
      [['.', '--exlude', 'x'], 'unknown flag --exlude'],
      [['.', '--extra'], '--extra takes a comma list of package names, given none'],
      [['.', '--extra', '--drop', 'x'], "--extra takes a comma list of package names, given '--drop'"],
      [['.', '--drop', 'a', '--drop', 'b'], '--drop is given twice'],
      [['no-such-folder'], "ROOT 'no-such-folder' has no package.json"],
    ] as [string[], string][]) {
      const r = run(argv);
      expect(r.stderr, argv.join(' ')).toContain(`node bench/gpu/closure.mjs: ${says}`);
      expect(r.stderr).toContain('Usage: node bench/gpu/closure.mjs ROOT');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.status, argv.join(' ')).toBe(2);
    }
    const ok = run(['.', '--extra', 'vitest', '--drop', 'lightningcss']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout.split('\n')).toContain('node_modules/vitest');
  });

  it('of tune.js --profile is read against the profile flags', () => {
    expectRefused(bench('tune.js', ['--profile', '--suffix', '-x']), 'tune.js --profile', '--suffix');
  });

  it('of run.js is refused for a suite that does not exist, and passes each suite only flags it reads', () => {
    expectRefused(bench('run.js', ['--dtpye', 'bfloat16']), 'run.js', '--dtpye');
    const nope = bench('run.js', ['--only', 'tune,nope']);
    expect(nope.stderr).toContain("'nope'");
    expect(nope.status).toBe(2);
    for (const caller of [[], ['--device', 'cuda', '--dtype', 'float16', '--quick', '--out-dir', '/tmp/b']]) {
      const plan = bench('run.js', ['--dry-run', ...caller]);
      expect(plan.status, plan.stderr).toBe(0);
      const commands = plan.stdout.trim().split('\n');
      expect(commands.length).toBeGreaterThan(8);
      for (const line of commands) {
        const [, script, ...flags] = line.split(' ');
        const r = bench(script.replace('dist/bench/', ''), [...flags, '--help']);
        expect(r.status, `${line}: ${r.stderr}`).toBe(0);
      }
    }
  });
});

describe('--help', () => {
  it('prints each flag with what it takes and its defaults, and exits 0', () => {
    const r = bench('tune.js', ['--help']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^Usage: node dist\/bench\/tune\.js/);
    expect(r.stdout).toMatch(/--reps N .*default 2; --quick: 1/);
    expect(r.stdout).toMatch(/--models A,B,\.\. .*default random:micro,random:demo,random:gpt2/);
    expect(r.stdout).toMatch(/--quick /);
    expect(r.status).toBe(0);
    // batch.js and methods.js measure rates as tune.js does, each pair timed more than once.
    expect(bench('batch.js', ['--help']).stdout).toMatch(/--reps N .*default 2; --quick: 1/);
    expect(bench('methods.js', ['--help']).stdout).toMatch(/--reps N .*default 2; --quick: 1/);
  });

  it('works for every benchmark script, and a script that writes results takes --out-dir', () => {
    const scripts = readdirSync(join(root, 'bench'))
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\bargs\('|methodBenchArgs\(/.test(readFileSync(join(root, 'bench', f), 'utf8')));
    expect(scripts.length).toBeGreaterThan(15);
    for (const f of scripts) {
      const script = f === 'profile.ts' ? 'tune.js' : f.replace(/\.ts$/, '.js');
      const r = bench(script, f === 'profile.ts' ? ['--profile', '--help'] : ['--help']);
      expect(r.status, `${f}: ${r.stderr}`).toBe(0);
      expect(r.stdout, f).toContain('Usage: node dist/bench/');
      if (/\bsave\(/.test(readFileSync(join(root, 'bench', f), 'utf8'))) expect(r.stdout, f).toContain('--out-dir');
    }
  });
});

describe('parseFlags', () => {
  const table = {
    '--device': { takes: 'text', default: 'cpu', about: 'where' },
    '--reps': { takes: 'number', default: 3, quick: 1, about: 'reps' },
    '--model': { takes: 'text', default: 'small', gpu: 'big', about: 'model' },
    '--sizes': { takes: 'numbers', default: '1,2', about: 'sizes' },
    '--batch': { takes: 'number', otherwise: 'the auto batch', about: 'rows' },
    '--series': { takes: 'list', default: 'a', oneOf: ['a', 'b'], about: 'series' },
    '--mode': { takes: 'text', default: 'plan', oneOf: ['plan', 'sweep'], about: 'mode' },
    '--quick': { about: 'smoke' },
    '--groups': { needs: { '--mode': 'sweep' }, about: 'groups' },
    '--in-b': { takes: 'number', needs: { '--series': 'b' }, about: 'of series b' },
    '--cap': { takes: 'number', needs: { '--batch': false }, about: 'the largest auto batch' },
    '--of-batch': { takes: 'number', needs: { '--batch': true, '--quick': false }, about: 'of --batch' },
  } as const;
  const parse = (...argv: string[]) => parseFlags('x.js', table, argv);

  it('gives defaults, the --quick ones with --quick and the GPU ones off the CPU', () => {
    expect(parse().num('--reps')).toBe(3);
    expect(parse('--quick').num('--reps')).toBe(1);
    expect(parse('--quick', '--reps', '5').num('--reps')).toBe(5);
    expect(parse().text('--model')).toBe('small');
    expect(parse('--device', 'cuda:1').text('--model')).toBe('big');
    expect(parse('--sizes=4,8').nums('--sizes')).toEqual([4, 8]);
    expect(parse('--reps', '-1').num('--reps')).toBe(-1);
    expect(parse('--device', '-gpu').text('--device')).toBe('-gpu');
    expect(parse('--series', 'b,a').list('--series')).toEqual(['b', 'a']);
    expect(parse().has('--batch')).toBe(false);
    expect(() => parse().num('--batch')).toThrow(/no default/);
  });

  it('reads a flag of fixed words as those words', () => {
    const mode: 'plan' | 'sweep' = parse('--mode', 'sweep').word('--mode');
    const series: ('a' | 'b')[] = parse('--series', 'b,a').words('--series');
    expect([mode, series]).toEqual(['sweep', ['b', 'a']]);
  });

  it('refuses a flag given where what it needs is not: another flag, its word, a word of its list, its absence', () => {
    for (const ok of [
      ['--mode', 'sweep', '--groups'],
      ['--series', 'a,b', '--in-b', '1'],
      ['--cap', '8'],
      ['--batch', '4', '--of-batch', '2'],
    ])
      expect(() => parse(...ok), ok.join(' ')).not.toThrow();
    const refused = (...argv: string[]) => {
      try {
        parse(...argv);
      } catch (e) {
        expect(e, argv.join(' ')).toBeInstanceOf(FlagError);
        return (e as Error).message;
      }
      throw new Error(`${argv.join(' ')} was read`);
    };
    expect(refused('--groups')).toMatch(
      /--groups is read only with --mode sweep, and --mode is 'plan' \(its default\)/,
    );
    expect(refused('--mode', 'plan', '--groups')).toMatch(/--mode is 'plan', so the script would ignore it/);
    expect(refused('--in-b', '1')).toMatch(/--in-b is read only where --series holds b, and --series is 'a'/);
    expect(refused('--batch', '4', '--cap', '8')).toMatch(/--cap is ignored with --batch: give one of the two/);
    expect(refused('--of-batch', '2')).toMatch(/--of-batch is read only with --batch, which is not given/);
    expect(refused('--batch', '4', '--quick', '--of-batch', '2')).toMatch(/--of-batch is ignored with --quick/);
    expect(parse('--help').usage).toMatch(/--of-batch N +of --batch \(only with --batch; not with --quick\)/);
    // A table whose flag needs one it does not declare is the script's mistake, not the command line's.
    const wrong = { '--x': { needs: { '--y': true }, about: 'x' } } as const;
    expect(() => parseFlags('x.js', wrong, ['--x'])).toThrow(/--x needs --y, which its table does not declare/);
    expect(() => parseFlags('x.js', wrong, ['--x'])).not.toThrow(FlagError);
  });

  it('refuses what the table does not declare with a FlagError', () => {
    for (const argv of [
      ['--rep', '2'],
      ['--reps'],
      ['--reps', '--quick'],
      ['--reps', ''],
      ['--reps', '0x10'],
      ['--reps', '1e400'],
      ['--sizes', '1,,x'],
      ['word'],
      ['-h'],
      ['--quick', '--quick'],
      ['--quick=yes'],
      ['--series', 'a,c'],
    ])
      expect(() => parse(...argv), argv.join(' ')).toThrow(FlagError);
  });
});
