// The report's header counts the targets it draws. Two sweeps' files plot as two series, and their
// targets are distinct even where their ids are the same (another seed draws another target under
// the same id; another model's vocabulary makes another one): each series' targets count. The
// numbers are recomputed here from the results files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { readResults, report, runSweep, type SweepSpecInput } from '../lib/index.js';
import { scratchDir } from './helpers/cli.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';

const dir = scratchDir('report-counts');

it("the report's header counts every series' targets, not their ids pooled", async () => {
  const files = [0, 1].map((seed) => join(dir, `seed${seed}.arrow`));
  for (const [seed, output] of files.entries())
    await runSweep({ ...MICRO_SWEEP, seed, bound: false, output } as SweepSpecInput, { figures: false });
  const results = await Promise.all(files.map((f) => readResults(f)));
  // The same ids in both, for targets drawn from other seeds.
  const ids = results.map((r) => [...new Set(r.records.map((x) => x.targetId))].sort());
  expect(ids[0]).toEqual(ids[1]);
  const rows = results.reduce((n, r) => n + r.records.length, 0);
  const targets = ids[0].length + ids[1].length;

  const html = readFileSync(await report(files, join(dir, 'r.html')), 'utf8');
  expect(html).toContain(`<dt>rows</dt><dd>${rows}</dd>`);
  expect(html).toContain(`<dt>targets</dt><dd>${targets}</dd>`);
  // The summary table's counts add up to the same targets.
  const counted = [
    ...html.matchAll(/<tr><td class="l">[^<]*<\/td><td class="l">[^<]*<\/td><td class="l">[^<]*<\/td><td>(\d+)<\/td>/g),
  ];
  expect(counted.reduce((n, m) => n + Number(m[1]), 0)).toBe(targets);
});

it("the summary's standard error is the sample one, and undefined ('—') for one target", async () => {
  const output = join(dir, 'three.arrow');
  const spec = { ...MICRO_SWEEP, methods: [{ method: 'soft' }, { method: 'hard' }], bound: false, output };
  await runSweep(
    {
      ...spec,
      targets: [
        { kind: 'vanilla', entropyBits: [1, 3, 5], method: 'temperature' },
        { kind: 'outlier', outliers: 1, entropyBits: [3] },
      ],
    } as SweepSpecInput,
    { figures: false },
  );
  const { records } = await readResults(output);
  const html = readFileSync(await report(output, join(dir, 'three.html')), 'utf8');
  const cells = new Map(
    [
      ...html.matchAll(
        /<tr><td class="l">([^<]*)<\/td><td class="l">([^<]*)<\/td><td>(\d+)<\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>([^<]*)<\/td><\/tr>/g,
      ),
    ].map((m) => [`${m[1]} ${m[2]}`, { n: Number(m[3]), se: m[4] }]),
  );
  for (const kind of ['vanilla', 'outlier'])
    for (const method of ['soft', 'hard']) {
      const kl = records.filter((r) => r.targetKind === kind && r.method === method).map((r) => r.klNats);
      const cell = cells.get(`${kind} ${method === 'hard' ? 'hard:k=1' : method}`)!;
      expect(cell.n).toBe(kl.length); // one init: a target's row is its best
      if (kl.length < 2) expect(cell.se).toBe('—');
      else {
        const mean = kl.reduce((a, b) => a + b, 0) / kl.length;
        const se = Math.sqrt(kl.reduce((a, x) => a + (x - mean) ** 2, 0) / (kl.length - 1) / kl.length);
        expect(cell.se).toBe(se.toFixed(4));
      }
    }
});

it('says how many target series it leaves out for a KL that is NaN in every row, and draws the rest', async () => {
  const output = join(dir, 'nan.arrow');
  await runSweep({ ...MICRO_SWEEP, inits: 2, bound: false, output } as SweepSpecInput, { figures: false });
  const results = await readResults(output);
  // Every init of one target NaN (a run whose loss was never finite), one init of another.
  const [lost, partly] = [...new Set(results.records.map((r) => r.targetId))];
  let firstOfPartly = true;
  const records = results.records.map((r) => {
    if (r.targetId === lost) return { ...r, klNats: NaN };
    if (r.targetId === partly && firstOfPartly) {
      firstOfPartly = false;
      return { ...r, klNats: NaN };
    }
    return r;
  });
  const methods = new Set(results.records.map((r) => r.method)).size;
  const html = readFileSync(await report({ ...results, records }, join(dir, 'nan.html')), 'utf8');
  expect(html).toContain(
    `<dt>left out</dt><dd>${methods} target·method series whose every row&#39;s KL is NaN (nothing to draw)</dd>`,
  );
  // The partly NaN target is drawn from its other init: the table still counts it.
  expect(html).toMatch(/<td class="l">vanilla<\/td><td class="l">soft<\/td><td>1<\/td>/);
  const clean = readFileSync(await report(results, join(dir, 'clean.html')), 'utf8');
  expect(clean).not.toContain('left out');
});
