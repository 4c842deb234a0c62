// loadModel('dir | org/name | random:preset', { device, dtype }): resolve the argument, read and
// validate the checkpoint headers (TypeScript), then map + build the Transformer natively on a
// worker thread.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

import type { NonFinite } from '../checkpoint/finite.js';
import { debugSwitch } from '../io/env-switch.js';
import { native } from '../native/index.js';
import {
  DTYPES,
  KERNEL_CHOICES,
  type KernelChoice,
  type NativeDtype,
  type NativeLoadSpec,
  type NativeModelConfig,
} from '../native/types-model.js';
import { abortError, cancellable } from '../native/cancel.js';
import { configFromHf, ModelConfigError } from './config.js';
import { checkpointIdentity, randomIdentity } from './identity.js';
import { Model, type ModelTokenizer } from './model.js';
import { refuseUnknownKeys, shown } from '../spec/fields.js';
import { randomSource, type RandomSource } from './presets.js';
import { NativeError, nativeMessage, withCallerStack } from '../native/errors.js';
import { isDeviceName } from './arguments.js';
import { availableBytes, checkModelFits, checkRowsToFit, weightBytes, type RowsToFit } from './size-check.js';

export interface LoadOptions {
  device?: string | undefined;
  dtype?: NativeDtype | undefined;
  /** seed of random:<preset> weights (default 0) */
  seed?: number | undefined;
  /** load the tokenizer too (default true; presets without one, or dirs without tokenizer files, get none) */
  tokenizer?: boolean | undefined;
  /** Hugging Face hub endpoint for downloads (default HF_ENDPOINT or https://huggingface.co) */
  endpoint?: string | undefined;
  /** rows the tuner will hold at once: checked, with the weights, against the device's free memory */
  rows?: RowsToFit | undefined;
  /**
   * View a checkpoint's CPU weights in the mapped file instead of copying them into memory the
   * model owns (default false). Saves the copy, but the file must then not change while the
   * model lives: truncating it kills the process (SIGBUS), rewriting it changes the weights.
   */
  mapWeights?: boolean | undefined;
  /**
   * Which implementation to run where two exist (see KernelChoice); unset fields keep the
   * device's defaults, which `model.info.kernels` reports.
   */
  kernels?: Partial<KernelChoice> | undefined;
  /**
   * Stops the load: before its download or the weights' read, or in the native build, before its
   * next tensor (an 8B build is thousands of them); the promise then rejects with the signal's
   * reason, else an AbortError.
   */
  signal?: AbortSignal | undefined;
}

/** LoadOptions' fields, as the compiler checks them against the interface (no more, no fewer). */
const LOAD_OPTIONS: Record<keyof LoadOptions, true> = {
  device: true,
  dtype: true,
  seed: true,
  tokenizer: true,
  endpoint: true,
  rows: true,
  mapWeights: true,
  kernels: true,
  signal: true,
};

function checkOptions(o: LoadOptions): { device: string; dtype: NativeDtype; kernels?: Partial<KernelChoice> } {
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new ModelConfigError(`loadModel: options must be an object, got ${shown(o)}`);
  // A misspelt option would otherwise be dropped: a `devise: 'cuda'` would load on the CPU.
  refuseUnknownKeys('loadModel', o, LOAD_OPTIONS, (m) => new ModelConfigError(m));
  // Read as `=== true` or `?? true`, a string would be silently taken as false or true.
  for (const key of ['tokenizer', 'mapWeights'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean')
      throw new ModelConfigError(`loadModel: ${key} must be true or false, got ${shown(o[key])}`);
  }
  if (o.endpoint !== undefined && (typeof o.endpoint !== 'string' || o.endpoint === ''))
    throw new ModelConfigError(`loadModel: endpoint must be a URL string, got ${shown(o.endpoint)}`);
  if (o.seed !== undefined && (!Number.isInteger(o.seed) || o.seed < 0))
    throw new ModelConfigError(`loadModel: seed must be an integer >= 0, got ${shown(o.seed)}`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal))
    throw new ModelConfigError(`loadModel: signal must be an AbortSignal, got ${shown(o.signal)}`);
  checkRowsToFit(o.rows);
  const device = o.device ?? 'cpu';
  if (!isDeviceName(device)) throw new ModelConfigError(`device '${device}' is not 'cpu', 'cuda' or 'cuda:N'`);
  const dtype = o.dtype ?? 'float32';
  if (!DTYPES.includes(dtype)) throw new ModelConfigError(`dtype '${dtype}' is not one of ${DTYPES.join(', ')}`);
  return { device, dtype, kernels: checkKernels(o.kernels) };
}

function checkKernels(k: unknown): Partial<KernelChoice> | undefined {
  if (k === undefined) return undefined;
  if (k === null || typeof k !== 'object' || Array.isArray(k))
    throw new ModelConfigError(`kernels must be an object such as { groupedAttention: false }, got ${String(k)}`);
  for (const [key, value] of Object.entries(k)) {
    if (!(KERNEL_CHOICES as readonly string[]).includes(key))
      throw new ModelConfigError(`kernels.${key} is not a kernel choice; known: ${KERNEL_CHOICES.join(', ')}`);
    if (typeof value !== 'boolean')
      throw new ModelConfigError(`kernels.${key} must be true or false, got ${String(value)}`);
  }
  return k as Partial<KernelChoice>;
}

/**
 * The tokenizer of `source`, over the model's `vocabSize` ids (see tokenizerForModel). A tokenizer
 * that cannot be used disposes the native model it was to go with, which nothing else holds.
 */
async function tryTokenizer(
  source: { dir: string } | { preset: 'gpt2' | 'llama3' | 'qwen' },
  vocabSize: number,
  nm: { dispose(): void },
): Promise<ModelTokenizer | undefined> {
  const { hasTokenizerFiles, loadTokenizer, tokenizerForModel } = await import('../tokenizer/index.js');
  if ('dir' in source && !hasTokenizerFiles(source.dir)) return undefined;
  const where =
    'dir' in source
      ? join(source.dir, existsSync(join(source.dir, 'tokenizer.json')) ? 'tokenizer.json' : 'vocab.json')
      : `tokenizer preset '${source.preset}'`;
  try {
    return tokenizerForModel(await loadTokenizer(source), vocabSize, where);
  } catch (e) {
    nm.dispose();
    throw e;
  }
}

type Checkpoint = Awaited<ReturnType<(typeof import('../checkpoint/index.js'))['readCheckpoint']>>;

/** Where a model's config (and tokenizer) come from: a preset or twin, or a checkpoint's folder. */
type Source =
  | { kind: 'random'; config: NativeModelConfig; random: RandomSource }
  | { kind: 'checkpoint'; config: NativeModelConfig; dir: string; ckpt: Checkpoint };

/**
 * Resolves `arg` to its config, checked against the device's memory, without loading weights:
 * loadModel's first step, and all of describeModel.
 */
async function sourceOf(arg: string, options: LoadOptions, device: string, dtype: NativeDtype): Promise<Source> {
  // What the user named as the model: an empty or missing one is their input to fix (exit 2).
  if (typeof arg !== 'string' || arg.trim().length === 0)
    throw new ModelConfigError(
      `the model is ${typeof arg === 'string' ? `'${arg}'` : String(arg)}: give a directory, a Hugging Face repo id or random:<preset>`,
    );
  // A device this build or machine lacks is the user's to fix before anything is read or
  // downloaded: a hub model would otherwise be fetched whole (minutes, gigabytes) to be refused.
  try {
    native().memoryStats(device);
  } catch (e) {
    throw new NativeError(`loading ${arg}: ${nativeMessage(e)}`);
  }
  const fitting = (configPath: string | undefined, hf: unknown) =>
    naming(configPath, () => {
      const c = configFromHf(hf);
      checkModelFits(c, { device, dtype, rows: options.rows });
      return c;
    });
  if (arg.startsWith('random:')) {
    // A preset, or the random twin of a checkpoint (its config.json, fresh weights).
    const random = await randomSource(arg.slice('random:'.length), { endpoint: options.endpoint });
    return { kind: 'random', config: fitting(random.configPath, random.hfConfig), random };
  }
  // A checkpoint's weights are its own: a seed would be silently ignored.
  if (options.seed !== undefined)
    throw new ModelConfigError(`loadModel: seed is for random:<preset> weights; ${arg} has its own, so leave seed out`);
  const { readCheckpoint } = await import('../checkpoint/index.js');
  // A local directory needs no hub client; anything else is a repo id for the cache / download.
  const dir = isDirectory(arg)
    ? arg
    : await (await import('../hub/index.js')).resolveModel(arg, { endpoint: options.endpoint });
  const ckpt = await readCheckpoint(dir);
  return { kind: 'checkpoint', config: fitting(join(dir, 'config.json'), ckpt.config), dir, ckpt };
}

/** What a model is, read from its config and files alone: describeModel's answer. */
export interface ModelDescription {
  name: string;
  vocabSize: number;
  device: string;
  /** whether loadModel would give it a tokenizer (a preset with one, or a folder with its files) */
  hasTokenizer: boolean;
  config: NativeModelConfig;
  /** the device's free memory less the weights', once they are loaded (undefined: no figure for the device) */
  freeBytes?: number;
}

/**
 * What loadModel(arg, options) would load — its config, checked against the device's memory, and
 * whether it has a tokenizer — without loading its weights. A study checks all its sweeps against
 * these before the first runs, where loading every model at once could take more memory than any
 * one of its sweeps does.
 */
export async function describeModel(arg: string, options: LoadOptions = {}): Promise<ModelDescription> {
  const { device, dtype } = checkOptions(options);
  const source = await sourceOf(arg, options, device, dtype);
  const { hasTokenizerFiles } = await import('../tokenizer/index.js');
  const hasTokenizer =
    (options.tokenizer ?? true) &&
    (source.kind === 'random' ? source.random.tokenizer !== undefined : hasTokenizerFiles(source.dir));
  const free = availableBytes(device);
  return {
    name: arg,
    vocabSize: source.config.vocabSize,
    device,
    hasTokenizer,
    config: source.config,
    freeBytes: free === undefined ? undefined : free - weightBytes(source.config, dtype),
  };
}

export async function loadModel(arg: string, options: LoadOptions = {}): Promise<Model> {
  const { device, dtype, kernels } = checkOptions(options);
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal, `loading ${arg}`);
  const wantTokenizer = options.tokenizer ?? true;
  const source = await sourceOf(arg, options, device, dtype);
  const config = source.config;
  /** The native build of `spec`, stopped by the signal before its next tensor. */
  const build = (spec: Omit<NativeLoadSpec, 'config' | 'device' | 'dtype' | 'kernels' | 'cancel'>) =>
    cancellable(signal, `loading ${arg}`, (cancel) =>
      withCallerStack(`loading ${arg}`, () =>
        native().loadModel({ config, device, dtype, kernels, ...spec, ...(cancel ? { cancel } : {}) }),
      ),
    );
  if (source.kind === 'random') {
    const seed = options.seed ?? 0;
    const nm = await build({ seed });
    const { random } = source;
    const tokenizer =
      wantTokenizer && random.tokenizer ? await tryTokenizer(random.tokenizer, config.vocabSize, nm) : undefined;
    return new Model(nm, infoOf(nm, arg, config, randomIdentity(random.hfConfig, seed), 'random'), tokenizer);
  }

  const { selectTensors, findNonFinite, weightsDigest, checkpointChange, CheckpointError } =
    await import('../checkpoint/index.js');
  const { dir, ckpt } = source;
  const { files, ignored } = selectTensors(ckpt, config);
  if (ignored.length > 0 && debugSwitch().on) {
    const list = ignored.join(', ');
    console.error(`distprompt: ${dir}: ignoring ${ignored.length} tensors the model does not read: ${list}`);
  }
  // The NaN/Inf scan reads the files while the native side maps them: one wait for both.
  const scan = Promise.all([findNonFinite(files), weightsDigest(files)]).then(
    ([found, digest]) => ({ found, digest }),
    (error: unknown) => ({ error }),
  );
  const nm = await build({ files: files.map((f) => ({ ...f, map: options.mapWeights === true })) });
  const scanned = await scan;
  // A file that changed while it was read and mapped may have given the native side other bytes.
  const change = checkpointChange(ckpt.stamps);
  if ('error' in scanned || change) {
    nm.dispose();
    if ('error' in scanned) throw scanned.error;
    throw new CheckpointError(
      'changed',
      change!.path,
      `${change!.what} while the model was being loaded from it: load it again once nothing writes to it`,
    );
  }
  warnNonFinite(scanned.found);
  const tokenizer = wantTokenizer ? await tryTokenizer({ dir }, config.vocabSize, nm) : undefined;
  const identity = checkpointIdentity(ckpt, scanned.digest);
  return new Model(nm, infoOf(nm, arg, config, identity, 'checkpoint'), tokenizer, dir, ckpt.stamps);
}

function warnNonFinite(found: NonFinite[]): void {
  if (found.length === 0) return;
  const values = (f: NonFinite) => `${f.count === f.elements ? 'all' : f.count} of ${f.elements} values`;
  const shown = found.slice(0, 5).map((f) => `${f.path} tensor '${f.tensor}' (${values(f)})`);
  const more = found.length > 5 ? ` and ${found.length - 5} more tensors` : '';
  process.emitWarning(
    `weights hold NaN or Inf values: ${shown.join(', ')}${more}; results from this model will be NaN or meaningless: ` +
      're-download or re-convert the checkpoint',
    { type: 'CheckpointWarning', code: 'DISTPROMPT_NONFINITE_WEIGHTS' },
  );
}

function infoOf(
  nm: { info(): { device: string; dtype: NativeDtype; parameters: number; kernels: KernelChoice } },
  name: string,
  config: NativeModelConfig,
  identity: string,
  source: 'checkpoint' | 'random',
) {
  const i = nm.info();
  return {
    name,
    family: config.family,
    vocabSize: config.vocabSize,
    hiddenSize: config.hiddenSize,
    layers: config.layers,
    heads: config.heads,
    kvHeads: config.kvHeads,
    headDim: config.headDim,
    device: i.device,
    dtype: i.dtype,
    parameters: i.parameters,
    kernels: i.kernels,
    identity,
    source,
    config,
  };
}

/**
 * Runs `fn` with its config errors naming the file they are about: 'config.json: …' becomes
 * '<path>: …', so an error on a cached download or a migrated target's source model says which.
 */
function naming<T>(configPath: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (configPath && e instanceof ModelConfigError && e.message.startsWith('config.json'))
      throw new ModelConfigError(configPath + e.message.slice('config.json'.length));
    throw e;
  }
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
