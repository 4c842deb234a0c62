// What comes after a sweep, as a user runs it (the built CLI in a child process, on random:micro):
// `study` given no study, the output folders of `study`, `plot` and `report` (one rule with
// `sweep`: an output's folder must exist), results files that are not finished ones, and merges
// of shards given wrongly.
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { runStudy } from '../lib/run/study.js';
import { journalPath, readResults, resultFileBytes, ResultWriter } from '../lib/results/index.js';
import { writeMicroConfig } from './helpers/micro-sweep.js';
import { cli, runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('after-sweep');

const run = (args: string[]) => runCli(args, dir);

beforeAll(() => {
  const r = run(['sweep', '-c', writeMicroConfig(dir, 'micro.json'), '-o', 'done.arrow', '--no-figures', '-q']);
  expect(r.status, r.stderr).toBe(0);
});

describe('study names', () => {
  it("a list that names no study (',') exits 2 and writes nothing, with or without --plan", () => {
    for (const extra of [[], ['--plan']]) {
      const r = run(['study', ',', '-m', 'random:micro', '--scale', 'smoke', '-o', 'none', '-q', ...extra]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/name one or more studies \(all, .*vanilla; see distprompt study --list\)/);
      expect(existsSync(join(dir, 'none'))).toBe(false);
    }
  });
});

describe('study files', () => {
  it('an include of an unknown study names the including file; includes beside specs are refused, not dropped', () => {
    const own = join(dir, 'own-studies');
    mkdirSync(own);
    writeFileSync(join(own, 'typo.json'), JSON.stringify({ describes: 'x', includes: ['vanila'] }));
    const vanilla = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'studies', 'vanilla.json'), 'utf8'));
    writeFileSync(join(own, 'vanilla.json'), JSON.stringify(vanilla));
    writeFileSync(join(own, 'both.json'), JSON.stringify({ ...vanilla, includes: ['vanilla'] }));
    const study = (name: string) =>
      run(['study', name, '--studies', own, '-m', 'random:micro', '--scale', 'smoke', '--plan', '-q']);
    const typo = study('typo');
    expect(typo.status, typo.stderr).toBe(2);
    expect(typo.stderr).toMatch(/typo\.json: includes: unknown study 'vanila' \(known: both, typo, vanilla;/);
    const both = study('both');
    expect(both.status, both.stderr).toBe(2);
    expect(both.stderr).toMatch(
      /both\.json: a study either includes others .* not both; move 'paper', 'smoke' into a study file/,
    );
    // A file whose name cannot be a study's is said to be so, not 'unknown study (known: it)'.
    writeFileSync(join(own, 'my.vanilla.json'), JSON.stringify(vanilla));
    const dotted = study('my.vanilla');
    expect(dotted.status, dotted.stderr).toBe(2);
    expect(dotted.stderr).toMatch(
      /my\.vanilla\.json: a study's name .* may hold only letters, digits, '-' and '_'.*rename the file/,
    );
  });
  it('a studies folder without study files is refused by --list and by a run (exit 2), naming it', () => {
    mkdirSync(join(dir, 'no-studies'));
    for (const args of [['--list'], ['vanilla', '-m', 'random:micro', '--scale', 'smoke', '--plan']]) {
      const r = run(['study', ...args, '--studies', 'no-studies']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/studies folder no-studies holds no study files \(<name>\.json\)/);
    }
  });
  it('a study of nothing (includes: [], variants: {}) is refused naming the file, not run as an empty report', () => {
    const own = join(dir, 'empty-studies');
    mkdirSync(own);
    const vanilla = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'studies', 'vanilla.json'), 'utf8'));
    writeFileSync(join(own, 'none.json'), JSON.stringify({ describes: 'x', includes: [] }));
    writeFileSync(join(own, 'novariant.json'), JSON.stringify({ ...vanilla, variants: {} }));
    for (const [name, message] of [
      ['none', /none\.json: includes: name one or more studies to include$/m],
      ['novariant', /novariant\.json: variants: no variant: give one or more \(each a sweep\)/],
    ] as const) {
      const r = run(['study', name, '--studies', own, '-m', 'random:micro', '--scale', 'smoke', '-o', name, '-q']);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(existsSync(join(dir, name))).toBe(false);
    }
  });
});

describe('output folders', () => {
  it('plot, report and study refuse an output whose folder is missing, as sweep and merge do, and make nothing', () => {
    const cases: Array<[string[], RegExp]> = [
      [['plot', 'done.arrow', '-o', 'gone/figs'], /the folder gone of the output folder gone\/figs does not exist/],
      [['report', 'done.arrow', '-o', 'gone/r.html'], /the folder gone of the output gone\/r\.html does not exist/],
      [
        ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '-o', 'gone/study', '-q'],
        /the folder gone of the output folder gone\/study does not exist/,
      ],
      [['merge', 'done.arrow', '-o', 'gone/m.arrow'], /the folder gone of the output gone\/m\.arrow does not exist/],
    ];
    for (const [args, message] of cases) {
      const r = run(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(join(dir, 'gone'))).toBe(false);
  });

  it("an empty -o (an unset shell variable) is refused naming the output, not as ': no such file or folder'", () => {
    for (const [args, what] of [
      [['plot', 'done.arrow'], 'output folder'],
      [['report', 'done.arrow'], 'output'],
      [['merge', 'done.arrow'], 'output'],
      [['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '-q'], 'output folder'],
    ] as const) {
      const r = run([...args, '-o', '']);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`distprompt: the ${what} is an empty path: give it a name (-o <name>)`);
    }
  });

  it('plot makes its output folder itself, and writes into one that exists', () => {
    for (let i = 0; i < 2; i++) {
      const r = run(['plot', 'done.arrow', '-o', 'figs']);
      expect(r.status, r.stderr).toBe(0);
      expect(existsSync(join(dir, 'figs', 'kl-vs-entropy.svg'))).toBe(true);
    }
  });

  it.skipIf(process.platform !== 'linux')(
    'an output folder under /proc (where a recursive mkdir never returns) is refused at once',
    () => {
      const r = spawnSync(process.execPath, [cli, 'plot', 'done.arrow', '-o', '/proc/distprompt-figures'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.signal, 'the command hung').toBeNull();
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/\/proc\/distprompt-figures: no such file or folder/);
    },
  );
});

describe('results files', () => {
  it("a sweep's journal (rows still being written) is refused by plot, report and merge, not drawn as the sweep", async () => {
    // A journal as a running or interrupted sweep leaves it: the schema and some of its rows.
    const { metadata, records } = await readResults(join(dir, 'done.arrow'));
    const writer = await ResultWriter.create(join(dir, 'running.arrow'), { ...metadata, build: null });
    await writer.append(records.slice(0, 1));
    await writer.close();
    const journal = journalPath('running.arrow');
    for (const args of [
      ['plot', journal, '-o', 'journal-figs'],
      ['report', journal, '-o', 'journal.html'],
      ['merge', journal, '-o', 'journal-merged.arrow'],
    ]) {
      const r = run(args);
      expect(r.status, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/running\.arrow\.partial is a sweep's journal .* not a finished results file/);
    }
    for (const out of ['journal-figs', 'journal.html', 'journal-merged.arrow'])
      expect(existsSync(join(dir, out))).toBe(false);
  });
});

describe('empty results', () => {
  it('a results file without rows is refused by report and plot (exit 2), not drawn as an empty report', async () => {
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    writeFileSync(join(dir, 'zero.arrow'), resultFileBytes(metadata, []));
    for (const [args, out] of [
      [['report', 'zero.arrow', '-o', 'zero.html'], 'zero.html'],
      [['plot', 'zero.arrow', '-o', 'zero-figs'], 'zero-figs'],
    ] as const) {
      const r = run([...args]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/zero\.arrow holds no result rows: nothing to draw/);
      expect(existsSync(join(dir, out))).toBe(false);
    }
    // Beside rows (an empty shard of a small sweep), it adds nothing and is no error.
    expect(run(['report', 'zero.arrow', 'done.arrow', '-o', 'with-zero.html']).status).toBe(0);
  });
});

describe('report output', () => {
  it('a report over a results, targets or spec file is refused (exit 2) and the file kept; over a report it replaces it', () => {
    writeFileSync(join(dir, 'kept.json'), '{"inits": 1}\n');
    const before = readFileSync(join(dir, 'done.arrow'));
    for (const out of ['done.arrow', 'kept.json']) {
      const was = readFileSync(join(dir, out));
      const r = run(['report', 'done.arrow', '-o', out]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${out} exists and is not an HTML report`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(readFileSync(join(dir, out)).equals(was)).toBe(true);
    }
    expect(readFileSync(join(dir, 'done.arrow')).equals(before)).toBe(true);
    // What it drew before (and an empty file, as `touch` leaves) it replaces, as plot does.
    writeFileSync(join(dir, 'again.html'), '');
    for (let i = 0; i < 2; i++) expect(run(['report', 'done.arrow', '-o', 'again.html']).status).toBe(0);
    expect(readFileSync(join(dir, 'again.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('merge', () => {
  it('one shard given twice, by one path or two, is named as such (exit 2), not as each of its rows twice', () => {
    for (const i of [0, 1]) {
      const r = run(['sweep', '-c', 'micro.json', '--shard', `${i}/2`, '-o', `s${i}.arrow`, '--no-figures', '-q']);
      expect(r.status, r.stderr).toBe(0);
    }
    const twice = run(['merge', 's0.arrow', 's1.arrow', 's0.arrow', '-o', 'm.arrow']);
    expect(twice.status, twice.stderr).toBe(2);
    expect(twice.stderr).toMatch(/cannot merge: s0\.arrow is given twice: give each shard once/);
    const spelt = run(['merge', 's0.arrow', 's1.arrow', `./s1.arrow`, '-o', 'm.arrow']);
    expect(spelt.status, spelt.stderr).toBe(2);
    expect(spelt.stderr).toMatch(/cannot merge: \.\/s1\.arrow and s1\.arrow are the same file/);
    expect(existsSync(join(dir, 'm.arrow'))).toBe(false);
    const once = run(['merge', 's0.arrow', 's1.arrow', '-o', 'm.arrow']);
    expect(once.status, once.stderr).toBe(0);
  });
});

describe('plot and report of several files', () => {
  it("two sweeps of one model (the same target ids, other settings) are two series, not one model's rows repeated", () => {
    const other = run([
      'sweep',
      '-c',
      writeMicroConfig(dir, 'longer.json', { maxEpochs: 6 }),
      '-o',
      'longer.arrow',
      '--no-figures',
      '-q',
    ]);
    expect(other.status, other.stderr).toBe(0);
    const r = run(['report', 'done.arrow', 'longer.arrow', '-o', 'two-sweeps.html']);
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'two-sweeps.html'), 'utf8');
    for (const series of ['random:micro · done', 'random:micro · longer'])
      expect(html).toContain(`<td class="l">${series}</td>`);
    // One sweep's file twice is still refused: its rows would count twice.
    const twice = run(['plot', 'done.arrow', 'done.arrow', '-o', 'twice']);
    expect(twice.status, twice.stderr).toBe(2);
    expect(twice.stderr).toMatch(/done\.arrow repeats row .* \(model random:micro\): give each results file once/);
  });
});

describe('study interrupted after its sweeps', () => {
  it('Ctrl-C while the findings and figures are made stops there (no report), and --resume writes them', async () => {
    const outDir = join(dir, 'study-stopped');
    const options = {
      studies: ['vanilla'],
      models: ['random:micro'],
      scale: 'smoke' as const,
      outDir,
      bound: false,
    };
    const controller = new AbortController();
    const events = new EventEmitter();
    // The sweep is done when the findings are logged; the figures come next.
    events.on('log', (m: string) => {
      if (m.startsWith('findings:')) controller.abort();
    });
    const stopped = await runStudy({ ...options, signal: controller.signal }, events);
    expect(stopped.interrupted).toBe(true);
    expect(stopped.report).toBeUndefined();
    expect(existsSync(join(outDir, 'report.html'))).toBe(false);
    expect(existsSync(join(outDir, 'vanilla.random_micro.arrow'))).toBe(true);

    const resumed = await runStudy({ ...options, resume: true });
    expect(resumed.interrupted).toBe(false);
    expect(resumed.sweeps.map((s) => s.status)).toEqual(['finished earlier']);
    expect(resumed.figures.length).toBeGreaterThan(0);
    // A paper figure has no caption of its own: the key is absent, as StudyFigure's type says.
    expect(resumed.figures.filter((f) => 'caption' in f && f.caption === undefined).map((f) => f.id)).toEqual([]);
    expect(existsSync(join(outDir, 'report.html'))).toBe(true);
  });
});

describe('study resumed with other flags', () => {
  it('is refused naming the spec field and the flags, and leaves the models the folder ran on as they were', () => {
    const study = (scale: string, ...extra: string[]) =>
      run(['study', 'vanilla', '-m', 'random:micro', '--scale', scale, '--no-bound', '-o', 'flags', '-q', ...extra]);
    expect(study('smoke').status).toBe(0);
    const models = () => readFileSync(join(dir, 'flags', 'models.json'), 'utf8');
    const before = models();
    const refused: Array<[string, string[], RegExp]> = [
      [
        'smoke',
        ['--dtype', 'bfloat16'],
        /dtype "float32" in flags\/vanilla\.random_micro\.arrow, "bfloat16" in this run/,
      ],
      ['paper', [], /maxEpochs 150 in flags\/vanilla\.random_micro\.arrow, 500 in this run/],
    ];
    for (const [scale, extra, field] of refused) {
      const r = study(scale, ...extra, '--resume');
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(field);
      expect(r.stderr).toMatch(
        /--scale, --seed, --dtype and --no-bound: resume with those of the run that wrote flags/,
      );
      // The refused run loaded the model as it was told (bfloat16): not what the sweeps ran on.
      expect(models()).toBe(before);
    }
    expect(study('smoke', '--resume').status).toBe(0);
    expect(readFileSync(join(dir, 'flags', 'report.html'), 'utf8')).not.toContain('bfloat16');
    // A damaged models.json (a hand edit) is named, not a bare SyntaxError with exit 1.
    writeFileSync(join(dir, 'flags', 'models.json'), '{"random:micro": ');
    const damaged = study('smoke', '--resume');
    expect(damaged.status, damaged.stderr).toBe(2);
    expect(damaged.stderr).toMatch(
      /flags\/models\.json is not the models file a study run writes .*: delete it and rerun/,
    );
    // So is an entry without the fields its report reads (before, a TypeError after every sweep).
    for (const [entry, why] of [
      ['5', 'is not an object'],
      ['{"family": "gpt2"}', "has no number 'parameters'"],
    ]) {
      writeFileSync(join(dir, 'flags', 'models.json'), `{"random:micro": ${entry}}`);
      const edited = study('smoke', '--resume');
      expect(edited.status, edited.stderr).toBe(2);
      expect(edited.stderr).toContain(
        `models.json: the entry of model 'random:micro' ${why}, as a study run writes it`,
      );
    }
  });
});

describe('study --plan', () => {
  it('with --shard prices that slice of every sweep, as sweep --plan --shard does, not the whole study', () => {
    const rows = (...extra: string[]) => {
      const r = run([
        'study',
        'vanilla',
        '-m',
        'random:micro',
        '--scale',
        'smoke',
        '--no-bound',
        '--plan',
        '--json',
        ...extra,
      ]);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number }).rows;
    };
    const all = rows();
    const slices = [0, 1, 2].map((i) => rows('--shard', `${i}/3`));
    expect(Math.max(...slices)).toBeLessThan(all);
    expect(slices.reduce((a, b) => a + b, 0)).toBe(all);
  });
});
