// `--json` progress lines name what they count first, as the bar does: a sweep's method label,
// after a study's place of its sweep; then the counts, in the order README lists them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runCli, scratchDirs } from './helpers/cli.js';
import { MICRO_SWEEP } from './helpers/micro-sweep.js';
import { PROGRESS_COUNT_KEYS } from './helpers/progress-keys.js';

const tmp = scratchDirs('json-progress-order');
const { model, ...settings } = MICRO_SWEEP;
const counts = PROGRESS_COUNT_KEYS;

/** The keys of each progress line of `stdout`, in their order. */
const progressKeys = (stdout: string): string[][] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.event === 'progress')
    .map((e) => Object.keys(e));

it("a sweep's progress line: event, label, then the counts", () => {
  const dir = tmp();
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(MICRO_SWEEP));
  const r = runCli(['sweep', '-c', 'spec.json', '--no-figures', '--no-bound', '--json'], dir);
  expect(r.status, r.stderr).toBe(0);
  const keys = progressKeys(r.stdout);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) expect(k).toEqual(['event', 'label', ...counts]);
});

it("a study's progress line: event, its sweep's place, label, then the counts", () => {
  const dir = tmp();
  mkdirSync(join(dir, 'studies'));
  const study = { describes: 'a micro sweep', figures: [], optimiser: 'AdamW', paper: settings, smoke: settings };
  writeFileSync(join(dir, 'studies', 'micro.json'), JSON.stringify(study));
  const args = ['study', 'micro', '--studies', 'studies', '-m', model, '--scale', 'smoke', '--no-bound', '--json'];
  const r = runCli(args, dir);
  expect(r.status, r.stderr).toBe(0);
  const keys = progressKeys(r.stdout);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) expect(k).toEqual(['event', 'sweep', 'sweeps', 'experiment', 'model', 'label', ...counts]);
});
