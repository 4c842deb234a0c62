// The same refusal in each reader's words: a script reads the options it passes ({ overwrite: true },
// shard, studiesDir …), a command-line user the flags it types (--overwrite, --shard, --studies …).
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';

import { registerCommands } from '../lib/cli/commands.js';
import { commandLineMessage } from '../lib/cli/flag-words.js';
import {
  exitCodeFor,
  mergeResults,
  OutputTakenError,
  parseSpec,
  readResults,
  ResultsError,
  ResultWriter,
  ResumeMismatchError,
  runStudy,
  runSweep,
  type StudyOptions,
  type SweepSpecInput,
} from '../lib/index.js';
import { endSweep } from '../lib/run/sweep-end.js';
import { tuneOptionIssues, tuneOptionsError } from '../lib/tune/index.js';
import { runCli, scratchDir } from './helpers/cli.js';
import { MICRO_SWEEP as MICRO } from './helpers/micro-sweep.js';

const dir = scratchDir('voice');
const MICRO_SWEEP = MICRO as SweepSpecInput;
const cli = (...args: string[]) => runCli(args, dir);

/** The message a call is refused with. */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  const e = await call().then(
    () => new Error('not refused'),
    (err: unknown) => err,
  );
  return (e as Error).message;
}

/** The study both voices run: the smoke vanilla study on the micro model, without the head bound. */
const study: StudyOptions = {
  studies: ['vanilla'],
  models: ['random:micro'],
  scale: 'smoke',
  bound: false,
  outDir: join(dir, 'st'),
};
const studyFlags = ['study', 'vanilla', '-m', 'random:micro', '--scale', 'smoke', '--no-bound', '-o', 'st', '-q'];

beforeAll(async () => {
  writeFileSync(join(dir, 'micro.json'), JSON.stringify(MICRO));
  await runSweep({ ...MICRO_SWEEP, output: join(dir, 'done.arrow') }, { figures: false });
  copyFileSync(join(dir, 'done.arrow'), join(dir, 'taken.arrow'));
  // One shard of two, run apart: an unsharded run of half.arrow finds the other missing.
  await runSweep({ ...MICRO_SWEEP, shard: '0/2', output: join(dir, 'half.shard0of2.arrow') }, { figures: false });
  await runStudy(study);
}, 120_000);

describe('an option to pass (overwrite, resume)', () => {
  it('a script is told { overwrite: true } and { resume: true }', async () => {
    const sweep = await refusal(() =>
      runSweep({ ...MICRO_SWEEP, output: join(dir, 'done.arrow') }, { figures: false }),
    );
    expect(sweep).toContain(
      'done.arrow already exists: choose another output, pass { overwrite: true }, or { resume: true } to extend it',
    );
    const merge = await refusal(() => mergeResults([join(dir, 'done.arrow')], join(dir, 'taken.arrow')));
    expect(merge).toContain(
      'taken.arrow already exists: choose another output, or pass { overwrite: true } to replace it',
    );
    for (const m of [sweep, merge]) expect(m).not.toMatch(/--[a-z]/);
  });

  it("is thrown as the class a script catches, under that class's own name, and exits 2", async () => {
    const caught = async (call: () => Promise<unknown>) =>
      call().then(
        () => new Error('not refused'),
        (err: unknown) => err as Error,
      );
    const taken = await caught(() => runSweep({ ...MICRO_SWEEP, output: join(dir, 'done.arrow') }, { figures: false }));
    expect(taken).toBeInstanceOf(OutputTakenError);
    expect(taken).toBeInstanceOf(ResultsError);
    expect([taken.name, exitCodeFor(taken)]).toEqual(['OutputTakenError', 2]);
    const other = await caught(() =>
      runSweep({ ...MICRO_SWEEP, seed: 9, output: join(dir, 'done.arrow') }, { resume: true, figures: false }),
    );
    expect(other).toBeInstanceOf(ResumeMismatchError);
    expect([other.name, exitCodeFor(other)]).toEqual(['ResumeMismatchError', 2]);
  });

  it('the command line is told --overwrite and --resume', () => {
    const sweep = cli('sweep', '-c', 'micro.json', '-o', 'done.arrow', '--no-figures', '-q');
    expect(sweep.status).toBe(2);
    expect(sweep.stderr).toContain(
      'done.arrow already exists: choose another output, pass --overwrite, or --resume to extend it',
    );
    const merge = cli('merge', 'done.arrow', '-o', 'taken.arrow');
    expect(merge.status).toBe(2);
    expect(merge.stderr).toContain(
      'taken.arrow already exists: choose another output, or pass --overwrite to replace it',
    );
    for (const r of [sweep, merge]) expect(r.stderr).not.toContain('{ ');
  });
});

describe('an option with a value to give (shard)', () => {
  const told = (shard: string, resume: string, again: string, overwrite: string) =>
    `Run each (${shard}, with ${resume} where one was interrupted), then ${again} again to merge them; or pass ${overwrite} to run the whole sweep here instead`;

  it("a script is told { shard: 'i/2' }", async () => {
    const m = await refusal(() => runSweep({ ...MICRO_SWEEP, output: join(dir, 'half.arrow') }, { figures: false }));
    expect(m).toContain('half.shard1of2.arrow is missing (shard 1/2 has not run)');
    expect(m).toContain(told("{ shard: 'i/2' }", '{ resume: true }', 'this call', '{ overwrite: true }'));
  });

  it('the command line is told --shard i/2', () => {
    const r = cli('sweep', '-c', 'micro.json', '-o', 'half.arrow', '--no-figures', '-q');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('half.shard1of2.arrow is missing (shard 1/2 has not run)');
    expect(r.stderr).toContain(told('--shard i/2', '--resume', 'this command', '--overwrite'));
  });
});

describe('options named by name (studiesDir, scale, seed, dtype, bound, outDir)', () => {
  it('a script is told the names of runStudy options', async () => {
    const again = await refusal(() => runStudy(study));
    expect(again).toContain(
      'exists: add { resume: true } to keep finished sweeps (and continue the rest), or { overwrite: true } to run them again',
    );
    const other = await refusal(() => runStudy({ ...study, seed: 3, resume: true }));
    expect(other).toContain(
      `A study's sweep specs come from its study files (studiesDir), scale, seed, dtype and bound: resume with those of the run that wrote ${study.outDir}, or give another outDir (or { overwrite: true } to run it again)`,
    );
    for (const m of [again, other]) expect(m).not.toMatch(/--[a-z]/);
  });

  it('the command line is told their flags: --studies for studiesDir, --no-bound for bound, --output for outDir', () => {
    const again = cli(...studyFlags);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain(
      'exists: add --resume to keep finished sweeps (and continue the rest), or --overwrite to run them again',
    );
    const other = cli(...studyFlags, '--seed', '3', '--resume');
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(
      "A study's sweep specs come from its study files (--studies), --scale, --seed, --dtype and --no-bound: resume with those of the run that wrote st, or give another --output (or --overwrite to run it again)",
    );
  });
});

describe("words the command line has in place of a script's (study --list, distprompt study …)", () => {
  it('a script is told the known studies, and no command', async () => {
    const m = await refusal(() => runStudy({ ...study, studies: ['nope'] }));
    expect(m).toMatch(/^unknown study 'nope' \(known: all, .*vanilla\)$/);
  });

  it("a script is told the studies that fit as runStudy's studies", async () => {
    // random:micro's 1,000 tokens hold at most 9.97 bits: the paper's outliers go to 12.
    const m = await refusal(() =>
      runStudy({ ...study, studies: ['vanilla', 'outliers'], scale: 'paper', bound: true, outDir: join(dir, 'fit') }),
    );
    expect(m).toContain(
      "The studies that can: studies: ['vanilla'] (with the same other options); or give a model these fit.",
    );
    expect(m).not.toContain('distprompt study');
  });

  it('the command line is told the command that runs them', () => {
    const r = cli('study', 'vanilla,outliers', '-m', 'random:micro', '--scale', 'paper', '--plan');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      'The studies that can: distprompt study vanilla (with the same flags); or give a model these fit.',
    );
  });

  it('the command line is told where to read about them', () => {
    const r = cli('study', 'nope', '-m', 'random:micro');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown study 'nope' \(known: all, .*vanilla; see distprompt study --list\)/);
  });
});

describe('a message said on a worker thread (the end of a sweep)', () => {
  it('comes back with its parts: a script reads { resume: true }, the command line --resume', async () => {
    const { metadata } = await readResults(join(dir, 'done.arrow'));
    const writer = await ResultWriter.create(join(dir, 'ends.arrow'), { ...metadata, build: null });
    const e = await endSweep(writer, { expectedRowIds: ['never-ran'] }, false).then(
      () => new Error('not refused'),
      (err: unknown) => err,
    );
    expect((e as Error).message).toContain('ends.arrow.partial is kept for { resume: true }');
    const program = new Command();
    registerCommands(program);
    expect(commandLineMessage(program, undefined, e)).toContain('ends.arrow.partial is kept for --resume');
  });
});

describe('a field the user typed as a flag', () => {
  it('a script is told the field of its spec or options', async () => {
    expect(() => parseSpec({ ...MICRO_SWEEP, maxEpochs: 0 })).toThrow('  - maxEpochs: must be >= 1, got 0');
    expect(tuneOptionsError(tuneOptionIssues({ method: 'hardd' })).message).toBe(
      "invalid tune options:\n  method: must be 'soft', 'hard' or 'hybrid', got 'hardd'",
    );
  });

  it('the command line is told the flag (--max-epochs, --search), and a --config field keeps its name', () => {
    const flag = cli('sweep', '-c', 'micro.json', '--max-epochs', '0', '--plan');
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('  - --max-epochs: must be >= 1, got 0');
    writeFileSync(join(dir, 'zero-epochs.json'), JSON.stringify({ ...MICRO_SWEEP, maxEpochs: 0 }));
    const field = cli('sweep', '-c', 'zero-epochs.json', '--plan');
    expect(field.status).toBe(2);
    // The field's path alone does not say where it is: the heading names the file.
    expect(field.stderr).toContain(
      'Invalid sweep spec (--config zero-epochs.json):\n  - maxEpochs: must be >= 1, got 0',
    );
    const grid = cli('sweep', '-c', 'micro.json', '--entropy', 'x', '--plan');
    expect(grid.stderr).toContain('  - --entropy: expected an entropy grid in bits');
    const search = cli('tune', '-m', 'random:micro', '--search', 'hardd');
    expect(search.status).toBe(2);
    expect(search.stderr).toContain("  --search: must be 'soft', 'hard' or 'hybrid', got 'hardd'");
  });

  it("bound's --tol and --dtype are headBound()'s options, named as typed and refused before the model loads", () => {
    const r = cli('bound', '-m', './no-such-model', '--entropy', '2', '--tol', '0', '--dtype', 'float16');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('  --tol: must be a finite number > 0, got 0');
    expect(r.stderr).toContain("  --dtype: must be 'float64' or 'float32', got 'float16'");
    expect(r.stderr).not.toContain('no-such-model');
  });
});

describe('another field a message names', () => {
  it('a script reads its name', () => {
    expect(() => parseSpec({ ...MICRO_SWEEP, deterministic: true, batchSize: 'auto' })).toThrow(
      "  - deterministic: needs a fixed batchSize (e.g. 16), not 'auto'",
    );
  });

  it('the command line reads its flag where no --config file gave the spec, its name where one did', () => {
    const flags = cli('sweep', '-m', 'random:micro', '--deterministic', '--plan');
    expect(flags.status).toBe(2);
    expect(flags.stderr).toContain("  - --deterministic: needs a fixed --batch-size (e.g. 16), not 'auto'");
    writeFileSync(join(dir, 'deterministic.json'), JSON.stringify({ ...MICRO_SWEEP, deterministic: true }));
    const file = cli('sweep', '-c', 'deterministic.json', '--plan');
    expect(file.status).toBe(2);
    expect(file.stderr).toContain("  - deterministic: needs a fixed batchSize (e.g. 16), not 'auto'");
    const pattern = cli('sweep', '-m', 'random:micro', '--methods', 'hybrid:HHS', '--plan');
    expect(pattern.stderr).toContain("pattern 'HHS' has 3 positions but --prefix-length is 5");
  });

  it("a pattern without the hybrid method: a script is told the option, tune's command line --search", () => {
    expect(tuneOptionsError(tuneOptionIssues({ pattern: 'HHSSS' })).message).toBe(
      "invalid tune options:\n  pattern: a soft method has pattern 'SSSSS'; use { method: 'hybrid' } for 'HHSSS'",
    );
    const r = cli('tune', '-m', 'random:micro', '--pattern', 'HHSSS');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("  --pattern: a soft method has pattern 'SSSSS'; use --search hybrid for 'HHSSS'");
  });

  it("a hard method's soft-position option: a script is told the methods that have soft positions", () => {
    expect(tuneOptionsError(tuneOptionIssues({ method: 'hard', lr: 0.05 })).message).toBe(
      "invalid tune options:\n  lr: is for soft positions, and a hard prompt has none: leave it out, or use { method: 'hybrid' } or { method: 'soft' }",
    );
  });
});
