// The commands the other CLI tests only feed bad input, run as a user runs them (the built CLI in
// a child process) and checked against the library called here: `info` (the build, the threads
// DISTPROMPT_THREADS sets, the presets, a model's facts), `bound` (each target's head bound),
// `plot` and `report`.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { headBound } from '../lib/bound/index.js';
import { buildInfo, loadModel, presetNames } from '../lib/index.js';
import { plotAll } from '../lib/plot/index.js';
import { readResults } from '../lib/results/index.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { readTargetFile } from '../lib/targets/file.js';
import { EXIT } from '../lib/cli/exit.js';
import { BOUND_RESULT_COLUMNS } from './helpers/bound-columns.js';
import { cli, runCli, scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const dir = scratchDir('commands');
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, dir, { env });

describe('distprompt --help', () => {
  it('lists every exit code with the meaning the README gives it, and where the docs are', () => {
    const r = run(['--help']);
    expect(r.status, r.stderr).toBe(0);
    const codes = [...r.stdout.matchAll(/^ {2}(\d+) +(.+)$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(codes.map(([c]) => c)).toEqual(Object.values(EXIT));
    const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/`/g, '').replace(/\s+/g, ' ');
    const line = `Exit codes (distprompt --help lists them too): ${codes.map((c) => c.join(' ')).join(', ')};`;
    expect(readme.includes(line), `README.md should say: ${line}`).toBe(true);
    const docs = [...r.stdout.matchAll(/README\.md|docs\/[\w-]+\.md/g)].map((m) => m[0]);
    expect(docs).toEqual(['README.md', 'docs/sweeps.md', 'docs/results-schema.md']);
    for (const doc of docs) expect(existsSync(join(root, doc)), doc).toBe(true);
  });

  it("shows every command's defaults in one style, unquoted", () => {
    for (const command of ['sweep', 'study', 'targets', 'tune', 'bound', 'info', 'plot', 'report', 'merge']) {
      const r = run([command, '--help']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout, command).not.toMatch(/\(default: "/);
    }
    expect(run(['tune', '--help']).stdout).toMatch(/--device <device> +cpu, cuda or cuda:N \(default: cpu\)/);
  });

  it('prints the version', () => {
    const r = run(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });
});

describe('distprompt info', () => {
  it('prints the libtorch it was built against, the threads and every preset', () => {
    const r = run(['info']);
    expect(r.status, r.stderr).toBe(0);
    const b = buildInfo();
    expect(r.stdout).toMatch(new RegExp(`^libtorch +${b.torchVersion.replace(/\./g, '\\.')} `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^threads +${b.threads} of ${b.availableCores} `, 'm'));
    expect(r.stdout).toMatch(b.cudaBuild ? /^CUDA +yes/m : /^CUDA +no/m);
    const listed = [...r.stdout.matchAll(/random:([\w.-]+) \(/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...presetNames()].sort());
  });

  it('DISTPROMPT_THREADS sets the threads; a value that is not a whole number above 0 exits 2 naming it', () => {
    const one = run(['info'], { DISTPROMPT_THREADS: '1' });
    expect(one.status, one.stderr).toBe(0);
    expect(one.stdout).toMatch(/^threads +1 of /m);
    for (const bad of ['abc', '0', '2.5', '4x']) {
      const r = run(['info'], { DISTPROMPT_THREADS: bad });
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain(`DISTPROMPT_THREADS='${bad}' is not a whole number of threads above 0`);
    }
  });

  it('DISTPROMPT_CPU_MEMORY_MB and DISTPROMPT_CPU_CACHE_MB take whole MiB; any other value exits 2 naming it', () => {
    const capped = run(['info', '--json'], { DISTPROMPT_CPU_MEMORY_MB: ' 1000 ', DISTPROMPT_CPU_CACHE_MB: '0' });
    expect(capped.status, capped.stderr).toBe(0);
    expect(JSON.parse(capped.stdout).device.availableBytes).toBeLessThanOrEqual(1000 * 2 ** 20);
    for (const name of ['DISTPROMPT_CPU_MEMORY_MB', 'DISTPROMPT_CPU_CACHE_MB'])
      for (const bad of ['abc', '-1', '4GB', '', '1e3', String(2 ** 33 + 1)]) {
        const r = run(['info'], { [name]: bad });
        expect(r.status, `${name}=${bad}`).toBe(2);
        expect(r.stderr).toContain(`${name}='${bad}' is not a whole number of MiB from 0 (`);
      }
  });

  it('DISTPROMPT_NO_AVX2 takes 1 (the baseline KL kernel); any other value exits 2 naming it', () => {
    // The addon reads any value as set, so '0' ran the baseline kernel too, where it reads as "off".
    const one = run(['info'], { DISTPROMPT_NO_AVX2: '1' });
    expect(one.status, one.stderr).toBe(0);
    for (const bad of ['0', '', 'yes']) {
      const r = run(['info'], { DISTPROMPT_NO_AVX2: bad });
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain(`DISTPROMPT_NO_AVX2='${bad}' is not 1`);
    }
  });

  it('DISTPROMPT_DEBUG takes 1 (stack traces); any other value exits 2 naming it, with no stack, in a command that loads no model too', () => {
    // A test of truth read '0' as set: the stack trace it reads as turning off was printed.
    const stack = /^\s+at /m;
    const plot = ['plot', 'no-such.arrow', '-o', 'never'];
    const one = run(plot, { DISTPROMPT_DEBUG: '1' });
    expect(one.stderr).toContain('distprompt: cannot read results file no-such.arrow');
    expect(one.stderr).toMatch(stack);
    for (const bad of ['0', '', 'yes'])
      for (const args of [['info'], plot]) {
        const r = run(args, { DISTPROMPT_DEBUG: bad });
        expect(r.status, `${args[0]} ${bad}`).toBe(2);
        expect(r.stderr).toContain(`distprompt: DISTPROMPT_DEBUG='${bad}' is not 1: set it to 1 to print`);
        expect(r.stderr).not.toMatch(stack);
      }
  });

  it('names the device and what distprompt may use of it; a device it cannot use exits 2 naming it', () => {
    const r = run(['info', '--json'], { DISTPROMPT_CPU_MEMORY_MB: '1000' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).device).toEqual({ name: 'cpu', availableBytes: expect.any(Number) });
    expect(JSON.parse(r.stdout).device.availableBytes).toBeLessThanOrEqual(1000 * 2 ** 20);
    const bad = run(['info', '--device', 'xyz']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--device xyz: device 'xyz' is not 'cpu', 'cuda' or 'cuda:N'");
    if (!buildInfo().cudaBuild) {
      const cuda = run(['info', '--device', 'cuda']);
      expect(cuda.status).toBe(2);
      expect(cuda.stderr).toContain('built against a CPU-only libtorch');
    }
  });

  it('-m prints the model as loadModel describes it', async () => {
    const r = run(['info', '-m', 'random:micro']);
    expect(r.status, r.stderr).toBe(0);
    const printed = JSON.parse(/^model +(\{[\s\S]*^\})/m.exec(r.stdout)![1]);
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      expect(printed).toMatchObject({
        name: 'random:micro',
        parameters: model.info.parameters,
        identity: model.info.identity,
        config: model.info.config,
      });
    } finally {
      model.dispose();
    }
  });
});

describe('distprompt bound', () => {
  it("--json prints each target's head bound, the one headBound() gives for the same file", async () => {
    const made = run(['targets', '-m', 'random:micro', '--entropy', '0,3,6', '-o', 'targets.json']);
    expect(made.status, made.stderr).toBe(0);
    const r = run(['bound', '-m', 'random:micro', '--targets', 'targets.json', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const printed = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { targetId: string; headBoundNats: number; gapNats: number });
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      const file = readTargetFile(join(dir, 'targets.json'), model.info.vocabSize);
      const want = await headBound(model, file.data);
      expect(printed.map((p) => p.targetId)).toEqual(['vanilla:h=0:s=0', 'vanilla:h=3:s=0', 'vanilla:h=6:s=0']);
      expect(printed).toHaveLength(want.length);
      printed.forEach((p, i) => {
        expect(Math.abs(p.headBoundNats - want[i].headBoundNats), p.targetId).toBeLessThanOrEqual(want[i].gapNats);
        expect(p.headBoundNats, p.targetId).toBeGreaterThan(0);
      });
    } finally {
      model.dispose();
    }
  });
  it('prints each group as it ends; Ctrl-C stops the group under way, keeps the lines printed and exits 130', async () => {
    const made = run([
      'targets',
      '-m',
      'random:micro',
      '--entropy',
      '0:max:0.005',
      '--method',
      'temperature',
      '-o',
      'many-targets.arrow',
    ]);
    expect(made.status, made.stderr).toBe(0);
    const child = spawn(
      process.execPath,
      [cli, 'bound', '-m', 'random:micro', '--targets', 'many-targets.arrow', '--json'],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    // Interrupted once the first group's lines are out: the 1,995 targets take 31 groups of 64.
    child.stdout.on('data', (d: Buffer) => {
      if (!out && String(d).includes('\n')) child.kill('SIGINT');
      out += d;
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(code, err).toBe(130);
    const lines = out.trim().split('\n');
    expect(lines.length % 64).toBe(0);
    expect(lines.length).toBeLessThan(1995);
    expect(lines.map((l) => (JSON.parse(l) as { targetIndex: number }).targetIndex)).toEqual(lines.map((_, i) => i));
    expect(err).toContain(`interrupted: ${lines.length} of 1995 targets bounded (printed above)`);
  }, 120_000);

  it('agrees to the bit with the bound columns of a --deterministic sweep of the same targets, past the first group', async () => {
    // 162 targets near the top entropy, many with the ball's optimum inside (the sphere search
    // runs, from random starts drawn per group): three groups of the bound's solve on a CPU.
    const made = run([
      'targets',
      '-m',
      'random:micro',
      '--entropy',
      '9:max:0.006',
      '--method',
      'temperature',
      '-o',
      'many.json',
    ]);
    expect(made.status, made.stderr).toBe(0);
    const r = run(['bound', '-m', 'random:micro', '--targets', 'many.json', '--json']);
    expect(r.status, r.stderr).toBe(0);
    type Printed = Record<string, number | string | null>;
    const printed = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Printed);
    expect(printed).toHaveLength(162);
    const searched = printed.filter((p) => (p.targetIndex as number) >= 64 && (p.sphereStarts as number) > 0);
    expect(searched.length).toBeGreaterThan(20);
    const out = join(dir, 'many.arrow');
    const spec = parseSpec({
      model: 'random:micro',
      targets: [{ kind: 'file', path: join(dir, 'many.json') }],
      methods: [{ method: 'soft' }],
      inits: 1,
      maxEpochs: 1,
      batchSize: 32,
      deterministic: true,
      output: out,
    });
    await runSweep(spec, { figures: false });
    const { records } = await readResults(out);
    const swept = new Map(records.map((x) => [(JSON.parse(x.targetParams!) as { index: number }).index, x]));
    expect(swept.size).toBe(162);
    // A bound record's gapNats is the results file's headBoundGapNats.
    const printedName = (c: string) => (c === 'headBoundGapNats' ? 'gapNats' : c);
    for (const p of printed) {
      const row = swept.get(p.targetIndex as number)!;
      const fromRow = BOUND_RESULT_COLUMNS.map((c) => row[c]);
      expect([p.targetIndex, ...fromRow]).toEqual([
        p.targetIndex,
        ...BOUND_RESULT_COLUMNS.map((c) => p[printedName(c)]),
      ]);
    }
    // The check can fail: the second group solved as another group (other random starts) differs.
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      const file = readTargetFile(join(dir, 'many.json'), model.info.vocabSize);
      const V = model.info.vocabSize;
      const second = await headBound(model, file.data.subarray(64 * V, 128 * V), { groups: Array(64).fill(2) });
      const differs = second.filter((b, i) => b.sphereResidual !== printed[64 + i].sphereResidual);
      expect(differs.length).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  }, 600_000);
});

describe('distprompt plot and report', () => {
  /** The figures the library draws for the file, written aside. */
  let want: { id: string }[];
  beforeAll(async () => {
    // No figures from the sweep itself: plot and report make them.
    const r = run([
      ...['sweep', '-m', 'random:micro', '--entropy', '0,2,4,6', '--inits', '2', '--max-epochs', '5'],
      ...['-o', 'results.arrow', '-q', '--no-figures'],
    ]);
    expect(r.status, r.stderr).toBe(0);
    want = await plotAll((await readResults(join(dir, 'results.arrow'))).records, join(dir, 'library'));
    expect(want.length).toBeGreaterThan(1);
  }, 300_000);

  it("plot writes plotAll's figures for the file as SVG and names each", () => {
    const r = run(['plot', 'results.arrow', '-o', 'figs']);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(join(dir, 'figs')).sort();
    expect(files).toEqual(want.map((w) => `${w.id}.svg`).sort());
    for (const f of files) {
      expect(r.stdout).toContain(join('figs', f));
      expect(readFileSync(join(dir, 'figs', f), 'utf8')).toMatch(/^<svg[^>]*>.*<\/svg>$/s);
    }
  });

  it('report writes one self-contained HTML file holding every figure', () => {
    const r = run(['report', 'results.arrow', '-o', 'report.html']);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<svg/g)).toHaveLength(want.length);
    expect(html).not.toMatch(/<script|<link|<img/i);
  });
});

describe('number flags of targets, tune and bound', () => {
  it("read an --entropy list as a sweep does ('1,,2' is 1 and 2), and name a value that is not a number", () => {
    const made = run(['targets', '-m', 'random:micro', '--entropy', '1,,2,', '-o', 'entropy-list.json']);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^2 targets over 1000 tokens/m);
    for (const [args, message] of [
      [['targets', '-m', 'random:micro', '--entropy', 'abc', '-o', 'abc.json'], "--entropy: 'abc' is not a number"],
      [['tune', '-m', 'random:micro', '--entropy', '0x3'], "--entropy: '0x3' is not a number"],
      [['tune', '-m', 'random:micro', '--max-epochs', 'abc'], "--max-epochs: 'abc' is not a number"],
      [['tune', '-m', 'random:micro', '--entropy', ','], "--entropy: ',' holds no number"],
      [['bound', '-m', 'random:micro', '--tol', '1e'], "--tol: '1e' is not a number"],
    ] as const) {
      const r = run([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(message);
    }
  });

  it('name an --entropy grid out of range or malformed as the flag, not as a sweep spec none of them takes', () => {
    for (const [args, message] of [
      [['targets', '-m', 'random:micro', '--entropy', '20', '-o', 'e20.json'], '--entropy: entropy 20 bits outside'],
      [['bound', '-m', 'random:micro', '--entropy', '0:max:0'], "--entropy: step must be > 0 in '0:max:0'"],
    ] as const) {
      const r = run([...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`distprompt: ${message}`);
      expect(r.stderr, args.join(' ')).not.toMatch(/sweep spec/);
    }
  });
});
