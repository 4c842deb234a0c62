// What `distprompt targets` and `distprompt tune` run (their flags are targets-tune.ts's). The
// targets' file code (apache-arrow) is loaded once the flags are found good.
import { statSync } from 'node:fs';

import type { Command } from 'commander';

import { checkOutputPath } from '../io/output-path.js';

import { loadModel } from '../model/load.js';
import type { NativeDtype } from '../native/types-model.js';
import type { Model } from '../model/model.js';
import { QUICK_TUNE } from '../spec/defaults.js';
import { expandGrid, SpecError } from '../spec/index.js';
import type { SynthesisRequest, TargetSet } from '../targets/index.js';
import { tune, tuneOptionIssues, tuneOptionsError } from '../tune/index.js';
import { EXIT, UsageError } from './exit.js';
import { refuseBothSpellings } from './flag-rules.js';
import { commandModel } from './command-model.js';
import { onInterrupt } from './interrupt.js';
import { during } from './startup.js';
import { ProgressReporter } from './progress.js';
import {
  FLAG_DEFAULTS,
  KIND_LIST,
  numberFlag,
  numberList,
  checkTargetFlags,
  type TargetFlags,
} from './target-flags.js';
import { counted } from '../io/counted.js';

/** `tune`'s flags as commander hands them over. */
export type TuneCliOptions = TargetFlags & {
  targets?: string;
  search: string;
  pattern?: string;
  candidates?: string;
  prefixLength?: string;
  inits?: string;
  maxEpochs?: string;
  patience?: string;
  cudaGraph?: boolean;
  json?: boolean;
};

function request(o: TargetFlags, vocab: number): SynthesisRequest {
  const seed = numberFlag(o.seed, '--seed')!;
  const grid = () => {
    if (!o.entropy) throw new UsageError(`--entropy is needed for ${o.kind} targets (bits, e.g. '0,2,4' or '0:max:1')`);
    try {
      return expandGrid(o.entropy.includes(':') ? o.entropy : numberList(o.entropy, '--entropy'), vocab, '--entropy');
    } catch (e) {
      // Said as the flag's error: these commands take no sweep spec, which SpecError's heading names.
      if (!(e instanceof SpecError)) throw e;
      throw new UsageError(e.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    }
  };
  switch (o.kind) {
    case 'vanilla':
      return {
        kind: 'vanilla',
        entropyBits: grid(),
        method: (o.method ?? FLAG_DEFAULTS.method) as 'gradient' | 'temperature',
        seed,
      };
    case 'outlier':
      return {
        kind: 'outlier',
        entropyBits: grid(),
        outliers: numberFlag(o.outliers, '--outliers') ?? FLAG_DEFAULTS.outliers,
        seed,
      };
    case 'lm':
    case 'shuffled':
      return { kind: o.kind, count: numberFlag(o.count, '--count') ?? FLAG_DEFAULTS.count, seed };
    case 'pos-uniform':
      if (!o.tag)
        throw new UsageError('--tag (noun, proper-noun, verb or adjective) is needed for pos-uniform targets');
      return {
        kind: 'pos-uniform',
        tag: o.tag as 'noun',
        count: numberFlag(o.count, '--count') ?? FLAG_DEFAULTS.posCount,
        seed,
      };
    case 'migrated':
      if (!o.source) throw new UsageError('--source <model> is needed for migrated targets');
      return { kind: 'migrated', source: o.source, count: numberFlag(o.count, '--count') ?? FLAG_DEFAULTS.count, seed };
    default:
      throw new UsageError(`--kind '${o.kind}' is not one of ${KIND_LIST}`);
  }
}

/**
 * The output, checked before the model loads and the targets are made (minutes for a big set): a
 * missing folder or a directory is named, and a file there (a targets file made by hand, results)
 * is replaced only with --overwrite.
 */
async function checkTargetsOutput(path: string, overwrite: boolean): Promise<void> {
  checkOutputPath(path);
  const there = statSync(path, { throwIfNoEntry: false });
  if (there?.isDirectory()) throw new UsageError(`-o ${path} is a directory: give a file name`);
  if (there && !overwrite)
    throw new UsageError(`-o ${path} exists: add --overwrite to replace it, or give another name`);
  // Results are the one thing no command draws again: --overwrite replaces targets, not them.
  const holds = there ? await (await import('../io/output-holds.js')).outputHolds(path) : 'nothing';
  if (holds === 'results' || holds === 'journal')
    throw new UsageError(
      `-o ${path} is ${holds === 'results' ? 'a results file' : "a sweep's journal (its rows so far)"}, which --overwrite would lose: give the targets another name`,
    );
}

/** A targets file (Arrow, safetensors or JSON, by its name) — what `targets` writes and `tune --targets` reads. */
async function saveTargets(path: string, set: TargetSet, vocab: number): Promise<void> {
  const [{ writeAtomic }, { targetFileBytes }] = await Promise.all([
    import('../io/atomic.js'),
    import('../targets/write.js'),
  ]);
  await writeAtomic(path, targetFileBytes(path, set.toArray(), set.meta, vocab));
}

/** --device and --dtype as loadModel takes them (it checks the dtype and names it if unknown). */
const modelOptions = (o: TargetFlags) => ({ device: o.device, dtype: o.dtype as NativeDtype | undefined });

/** The targets a command runs on: a --targets file, or synthesised from --kind/--entropy (FLAG_DEFAULTS.entropy bits when left out). */
export async function cliTargets(
  o: TargetFlags & { targets?: string },
  model: Model,
): Promise<{ targets: Float32Array; ids: string[] }> {
  const V = model.info.vocabSize;
  if (o.targets) {
    const { readTargetFile } = await import('../targets/file.js');
    const { data, ids } = readTargetFile(o.targets, V);
    return { targets: data, ids };
  }
  // Made natively in batches: the exit a signal brings waits for the batch under way.
  return during('interrupted while making the targets; nothing was done', async () => {
    const { synthesizeTargets } = await import('../targets/index.js');
    const set = await synthesizeTargets(model, request({ ...o, entropy: o.entropy ?? FLAG_DEFAULTS.entropy }, V));
    try {
      return { targets: set.toArray(), ids: set.meta.map((m) => m.id) };
    } finally {
      set.dispose();
    }
  });
}

/** A best prompt as text: its tokens, else their ids; a soft prompt has neither (-1 at every position). */
function shownPrompt(r: { promptText: string | null; promptIds: Int32Array }): string {
  if (r.promptText !== null) return JSON.stringify(r.promptText);
  const ids = Array.from(r.promptIds);
  return ids.every((id) => id < 0)
    ? `soft prompt (${ids.length} embeddings, not tokens)`
    : `[${ids.map((id) => (id < 0 ? 'soft' : id)).join(', ')}]`;
}

export async function targetsAction(
  o: TargetFlags & { output: string; overwrite?: boolean },
  cmd: Command,
): Promise<void> {
  await checkTargetFlags(o, cmd);
  await checkTargetsOutput(o.output, o.overwrite === true);
  // Ctrl-C before the file is written ends the command at once, saying so: nothing of a load or
  // a synthesis would be kept, and the addon's synthesis does not stop midway (an exit would
  // wait for it). Once the targets are made, their file (one atomic write) is finished instead.
  const interrupt = onInterrupt(new ProgressReporter('lines'), 'interrupted: no targets were written', true);
  try {
    const model = await loadModel(o.model, modelOptions(o));
    try {
      const asked = request(o, model.info.vocabSize);
      const [{ planRequest, synthesizeTargets }, { checkTargetFileSize }] = await Promise.all([
        import('../targets/index.js'),
        import('../targets/write.js'),
      ]);
      checkTargetFileSize(o.output, planRequest(asked, model.info.vocabSize).length, model.info.vocabSize);
      const set = await synthesizeTargets(model, asked);
      interrupt.say(`interrupted: the targets are made, so ${o.output} is written all the same`);
      await saveTargets(o.output, set, model.info.vocabSize);
      for (const m of set.meta) console.log(`${m.id}\t${m.entropyBits.toFixed(4)} bits`);
      console.log(`${counted(set.meta.length, 'target')} over ${model.info.vocabSize} tokens → ${o.output}`);
      set.dispose();
    } finally {
      model.dispose();
    }
  } finally {
    interrupt.release();
  }
}

export async function tuneAction(o: TuneCliOptions, cmd: Command): Promise<void> {
  await checkTargetFlags(o, cmd);
  refuseBothSpellings(process.argv.slice(2), ['--cuda-graph']);
  const inits = numberFlag(o.inits, '--inits') ?? QUICK_TUNE.inits;
  const settings = {
    method: o.search as 'soft',
    pattern: o.pattern,
    candidates: numberFlag(o.candidates, '--candidates'),
    prefixLength: numberFlag(o.prefixLength, '--prefix-length'),
    inits,
    maxEpochs: numberFlag(o.maxEpochs, '--max-epochs'),
    patience: numberFlag(o.patience, '--patience'),
    seed: numberFlag(o.seed, '--seed'),
    cudaGraph: o.cudaGraph,
  };
  // A misspelt --search or a bad number is refused before a model loads and its targets are made (minutes on a big one).
  const issues = tuneOptionIssues(settings);
  // tune() asks the loaded model's device; --device says it before the model loads.
  if (o.cudaGraph && !o.device.startsWith('cuda'))
    issues.push({ path: 'cudaGraph', message: `needs a model on a CUDA device; --device is ${o.device}` });
  if (issues.length > 0) throw tuneOptionsError(issues);
  const model = await commandModel(o.model, modelOptions(o));
  try {
    const { targets, ids } = await cliTargets(o, model);
    // Ctrl-C prints what the rows reached instead of dropping them with the process.
    const reporter = new ProgressReporter('lines');
    const interrupt = onInterrupt(reporter, 'interrupted: finishing the current step and printing the rows so far');
    const run = tune(model, {
      targets,
      targetIds: ids,
      ...settings,
      signal: interrupt.signal,
    });
    run.on('warning', (m: string) => reporter.warn(m));
    let results;
    try {
      results = await run;
    } finally {
      interrupt.release();
    }
    // In plan order (target, then init), as they were asked for: rows end in any order.
    results.sort((a, b) => a.targetIndex - b.targetIndex || a.initId - b.initId);
    for (const r of results) {
      if (o.json)
        console.log(
          JSON.stringify({
            ...r,
            promptIds: Array.from(r.promptIds),
            finalIds: Array.from(r.finalIds),
            softPrompt: null,
          }),
        );
      else
        console.log(
          `${r.targetId}\tinit ${r.initId}\tKL ${r.klNats.toFixed(4)} nats\t${r.stopReason} at ${r.epochs}\t${shownPrompt(r)}`,
        );
    }
    const finished = results.filter((r) => r.stopReason !== 'aborted').length;
    // A signal after the last row stopped leaves nothing unfinished: the run is whole (exit 0).
    if (interrupt.signal.aborted && finished < ids.length * inits) {
      reporter.log(
        `interrupted: ${finished} rows finished, ${results.length - finished} cut short ('aborted': their best so far), ` +
          `${ids.length * inits - results.length} not started`,
      );
      process.exitCode = EXIT.interrupted;
    }
  } finally {
    model.dispose();
  }
}
