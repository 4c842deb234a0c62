// The study's defaults are stated once (lib/spec/defaults.ts): the sweep spec, tune(), the CLI
// help and the README's table must all say the same.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { registerStudy } from '../lib/cli/study.js';
import { registerSweep } from '../lib/cli/sweep.js';
import { registerTargetsAndTune } from '../lib/cli/targets-tune.js';
import { QUICK_DEMO_SWEEP, QUICK_TUNE, STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { parseSpec } from '../lib/spec/index.js';
import { parseTuneOptions, TuneOptionsSchema } from '../lib/spec/tune-options.js';
import { SweepSpecSchema } from '../lib/spec/schema.js';

/** The README's "Study defaults" table as { field: value }. */
function readmeDefaults(): Record<string, string | number> {
  const text = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = text.split('### Study defaults')[1]?.split(/\n#+ /)[0];
  if (!section) throw new Error("README.md has no '### Study defaults' section");
  const rows: Record<string, string | number> = {};
  for (const line of section.split('\n')) {
    const m = /^\| `(\w+)` \| (`?)([^|`]+)\2 \|/.exec(line);
    if (m) rows[m[1]] = m[2] ? m[3].trim() : Number(m[3]);
  }
  return rows;
}

function help(register: (p: Command) => void, name: string): string {
  const program = new Command().configureHelp({ helpWidth: 1000 }); // one line per option
  register(program);
  return program.commands.find((c) => c.name() === name)!.helpInformation();
}

describe('study defaults', () => {
  it('the README table lists every default with its value', () => {
    expect(readmeDefaults()).toEqual({ ...STUDY_DEFAULTS });
  });

  it('tune() fills every default from the one module', () => {
    const o = parseTuneOptions({});
    for (const [key, value] of Object.entries(STUDY_DEFAULTS)) expect(o[key as keyof typeof o], key).toBe(value);
  });

  it('a sweep spec fills its defaults from it too', () => {
    const spec = parseSpec({});
    const shared = ['prefixLength', 'inits', 'lr', 'maxEpochs', 'patience', 'init'] as const;
    for (const key of shared) expect(spec[key], key).toBe(STUDY_DEFAULTS[key]);
  });

  it('the quick demo run is the study with its overrides only', () => {
    const demo = parseSpec(QUICK_DEMO_SWEEP);
    expect(demo).toMatchObject({ model: 'random:demo', inits: 3, maxEpochs: 300 });
    expect(demo.patience).toBe(STUDY_DEFAULTS.patience);
    expect(demo.prefixLength).toBe(STUDY_DEFAULTS.prefixLength);
    expect(demo.lr).toBe(STUDY_DEFAULTS.lr);
  });

  it('the CLI help shows the defaults', () => {
    const tune = help(registerTargetsAndTune, 'tune');
    expect(tune).toMatch(
      new RegExp(`--prefix-length <n>\\s+searched positions \\(default: ${STUDY_DEFAULTS.prefixLength}\\)`),
    );
    expect(tune).toMatch(new RegExp(`--max-epochs <n>\\s+epoch budget \\(default: ${STUDY_DEFAULTS.maxEpochs}\\)`));
    expect(tune).toMatch(new RegExp(`--patience <n>\\s+patience in epochs \\(default: ${STUDY_DEFAULTS.patience}\\)`));
    expect(tune).toMatch(new RegExp(`--inits <n>\\s+initialisations per target \\(default: ${QUICK_TUNE.inits}\\)`));
    const sweep = help(registerSweep, 'sweep');
    expect(sweep).toContain(`(default: ${STUDY_DEFAULTS.lr})`);
    expect(sweep).toContain(
      `(default: ${STUDY_DEFAULTS.inits}; ${QUICK_DEMO_SWEEP.inits} in the run without --config)`,
    );
    // A flag per tuning field of the spec (those it takes from tune()'s options), as the README says.
    const kebab = (k: string) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    for (const key of Object.keys(SweepSpecSchema.shape).filter((k) => k in TuneOptionsSchema.shape))
      expect(sweep, key).toMatch(new RegExp(`^ +--${kebab(key)}\\b`, 'm'));
    expect(sweep).toMatch(new RegExp(`--weight-decay <wd> .*\\(default: ${STUDY_DEFAULTS.weightDecay}\\)`));
    // Every flag that sets a spec field shows the default parseSpec fills in, and the demo run's.
    const spec = parseSpec({});
    expect(sweep).toMatch(
      new RegExp(
        `-m, --model <model> .*\\(default: ${spec.model}; ${QUICK_DEMO_SWEEP.model} in the run without --config\\)`,
      ),
    );
    for (const [flag, value] of [
      ['--device <device>', spec.device],
      ['--dtype <dtype>', spec.dtype],
      ['--targets <kinds>', 'vanilla'],
      ['--methods <list>', 'soft'],
      ['--batch-size <n>', spec.batchSize],
      ['--seed <n>', spec.seed],
      ['-o, --output <file>', spec.output],
    ] as const)
      expect(sweep).toMatch(new RegExp(`${flag} .*\\(default: ${value}\\)`));
    expect(sweep).toContain(
      `(default: 0:max:0.05; ${QUICK_DEMO_SWEEP.targets[0].entropyBits} in the run without --config)`,
    );
    // A study's sweeps fall back to the same spec defaults where neither a flag nor the study file sets them.
    const study = help(registerStudy, 'study');
    expect(study).toMatch(new RegExp(`--device <device> .*\\(default: ${spec.device}\\)`));
    expect(study).toMatch(new RegExp(`--dtype <dtype> .*\\(default: the study file's, else ${spec.dtype}\\)`));
    expect(study).toMatch(new RegExp(`--seed <n> .*\\(default: the study file's, else ${spec.seed}\\)`));
  });
});
