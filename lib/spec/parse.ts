// Entry points from user input to a validated SweepSpec: a JSON object (library, --config file)
// or CLI flags layered over that file.

import { createHash } from 'node:crypto';
import { runDevice } from './devices.js';
import { SpecError, type SpecIssue, zodIssues } from './errors.js';
import { refuseUnknownKeys, shown } from './fields.js';
import { expandGrid } from './grid.js';
import { parseMethodLabel, resolveMethod, type ResolvedMethod } from './methods.js';
import { SweepSpecSchema, type SweepSpec, type TargetSpec } from './schema.js';
import { ArgumentError } from '../io/argument-error.js';

/** Validates and fills defaults; throws a SpecError listing every bad field by path. */
export function parseSpec(input: unknown): SweepSpec {
  // Nothing given is the defaults; a null (a script's missing value) is refused, not read as nothing.
  const result = SweepSpecSchema.safeParse(input === undefined ? {} : input);
  if (!result.success) throw new SpecError(zodIssues(result.error));
  return withDevices(result.data, (input as { device?: unknown } | undefined)?.device !== undefined);
}

/** `devices` as the run reads it (runDevice), refused in the spec's words. */
function withDevices(spec: SweepSpec, deviceGiven: boolean): SweepSpec {
  const r = runDevice({ ...spec, device: deviceGiven ? spec.device : undefined });
  if ('conflict' in r)
    throw new SpecError([
      {
        path: 'devices',
        message: `names one device, ${r.conflict.devices}, and device names another, ${r.conflict.device}: give one of them`,
      },
    ]);
  if ('shardWithoutDevice' in r) {
    const { devices, shard } = r.shardWithoutDevice;
    throw new SpecError([
      {
        path: 'devices',
        message: `[${devices.join(', ')}] split the sweep into a shard per device, and this run is one shard of it already (shard ${shard.index}/${shard.count}), which runs on one device: give that device as device, or drop shard`,
      },
    ]);
  }
  return r.device === undefined ? spec : { ...spec, device: r.device };
}

/**
 * CLI flags as commander hands them over (strings, or numbers where the CLI parsed them).
 * List-valued flags take comma-separated strings: `--methods soft,hard:k=4,hybrid:HHSSS`.
 */
export interface SweepFlags {
  model?: string;
  device?: string;
  devices?: string | string[];
  dtype?: string;
  /** Target kinds with default parameters, e.g. 'vanilla,lm'; replaces the file's targets. */
  targets?: string | string[];
  /** Entropy grid in bits applied to every vanilla/outlier target, e.g. '0:max:0.05' or '0,1,2'. */
  entropy?: string;
  methods?: string | string[];
  prefixLength?: string | number;
  inits?: string | number;
  init?: string;
  lr?: string | number;
  weightDecay?: string | number;
  maxEpochs?: string | number;
  patience?: string | number;
  batchSize?: string | number;
  cudaGraph?: boolean;
  deterministic?: boolean;
  /** --soft-prompts: store soft and hybrid rows' soft prompts */
  softPrompts?: boolean;
  /** false (--no-bound) skips the head bound; commander's default true leaves the spec as it is */
  bound?: boolean;
  seed?: string | number;
  output?: string;
  shard?: string;
}

/** SweepFlags' names, as the compiler checks them against the interface. */
export const SWEEP_FLAGS: Record<keyof SweepFlags, true> = {
  model: true,
  device: true,
  devices: true,
  dtype: true,
  targets: true,
  entropy: true,
  methods: true,
  prefixLength: true,
  inits: true,
  init: true,
  lr: true,
  weightDecay: true,
  maxEpochs: true,
  patience: true,
  batchSize: true,
  cudaGraph: true,
  deterministic: true,
  softPrompts: true,
  bound: true,
  seed: true,
  output: true,
  shard: true,
};

const NUMERIC_FLAGS = ['prefixLength', 'inits', 'lr', 'weightDecay', 'maxEpochs', 'patience', 'seed'] as const;

const list = (v: string | string[]): string[] =>
  (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0);

/** '3' → 3; anything that is not a number stays a string so zod reports it against the field. */
function numberOrRaw(v: string | number): number | string {
  if (typeof v === 'number') return v;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

function gridFromFlag(text: string): unknown {
  return text.includes(':') ? text : list(text).map(numberOrRaw);
}

/**
 * The flags read here as the command line gives them (text, a list, a number as text): a script's
 * other value is refused naming its flag, where it would crash split() or trim(). The rest go to
 * the spec as they are, and its schema names a wrong one.
 */
function flagTypeIssues(flags: SweepFlags): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const refuse = (key: string, expected: string, v: unknown) =>
    issues.push({ path: key, message: `expected ${expected}, as the command line gives it, got ${shown(v)}` });
  for (const key of ['devices', 'targets', 'methods'] as const) {
    const v: unknown = flags[key];
    if (v !== undefined && typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string')))
      refuse(key, "a string or a list of strings ('a,b' or ['a', 'b'])", v);
  }
  if (flags.entropy !== undefined && typeof flags.entropy !== 'string')
    refuse('entropy', "a string ('0:max:0.05' or '0,1,2')", flags.entropy);
  for (const key of [...NUMERIC_FLAGS, 'batchSize'] as const) {
    const v: unknown = flags[key];
    if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') refuse(key, 'a number (or its text)', v);
  }
  return issues;
}

/**
 * Builds a spec from CLI flags over an optional --config JSON. Flags override the file field by
 * field; `entropy` rewrites the grid of each vanilla/outlier target, whichever source they came from.
 */
export function specFromFlags(flags: SweepFlags, fileJson?: unknown): SweepSpec {
  // A script's missing flags object would be "Cannot read properties of undefined (reading 'model')".
  if (flags === null || typeof flags !== 'object' || Array.isArray(flags))
    throw new ArgumentError(
      `specFromFlags: expected an object of the CLI's flags ({} for none), got ${flags === null ? 'null' : Array.isArray(flags) ? 'an array' : typeof flags}`,
    );
  // A misspelt flag ('maxEpoch') would be dropped and the sweep run with the default.
  refuseUnknownKeys('specFromFlags', flags, SWEEP_FLAGS, (m) => new ArgumentError(m), 'flag');
  const mistyped = flagTypeIssues(flags);
  if (mistyped.length > 0) throw new SpecError(mistyped);
  if (fileJson !== undefined && (typeof fileJson !== 'object' || fileJson === null || Array.isArray(fileJson))) {
    throw new SpecError([{ path: '', message: 'the --config file must hold a JSON object' }]);
  }
  const spec: Record<string, unknown> = { ...((fileJson as Record<string, unknown> | undefined) ?? {}) };
  const issues: SpecIssue[] = [];
  for (const key of ['model', 'device', 'dtype', 'init', 'output', 'shard'] as const) {
    if (flags[key] !== undefined) spec[key] = flags[key];
  }
  for (const key of NUMERIC_FLAGS) {
    const v = flags[key];
    if (v !== undefined) spec[key] = numberOrRaw(v);
  }
  if (flags.cudaGraph !== undefined) spec.cudaGraph = flags.cudaGraph;
  if (flags.deterministic !== undefined) spec.deterministic = flags.deterministic;
  if (flags.softPrompts !== undefined) spec.softPrompts = flags.softPrompts;
  if (flags.bound === false) spec.bound = false;
  if (flags.batchSize !== undefined)
    spec.batchSize = flags.batchSize === 'auto' ? 'auto' : numberOrRaw(flags.batchSize);
  if (flags.devices !== undefined) spec.devices = list(flags.devices);
  if (flags.methods !== undefined) {
    spec.methods = list(flags.methods).map((label, i) => {
      const m = parseMethodLabel(label);
      if (typeof m === 'string') issues.push({ path: `methods[${i}]`, message: m });
      return m;
    });
  }
  if (flags.targets !== undefined) {
    spec.targets = list(flags.targets).map((kind) => ({ kind }));
    if (list(flags.targets).includes('file'))
      issues.push({
        path: '--targets',
        message: `a file target needs its path, which only a --config spec gives: "targets": [{ "kind": "file", "path": "targets.json" }]`,
      });
  }
  if (flags.entropy !== undefined) {
    const targets = Array.isArray(spec.targets) ? spec.targets : [{ kind: 'vanilla' }];
    const gridded = (t: unknown) => ['vanilla', 'outlier'].includes((t as { kind?: unknown })?.kind as string);
    // A grid no target takes would be dropped without a word.
    if (!targets.some(gridded))
      issues.push({
        path: '--entropy',
        message: `sets the grid of vanilla and outlier targets, and this sweep has none (${targets.map((t: unknown) => String((t as { kind?: unknown })?.kind)).join(', ')}): drop it, or add --targets vanilla`,
      });
    spec.targets = targets.map((t: unknown) =>
      gridded(t) ? { ...(t as object), entropyBits: gridFromFlag(flags.entropy!) } : t,
    );
  }
  if (issues.length > 0) throw new SpecError(issues);
  return parseSpec(spec);
}

/** The spec's targets with every entropy grid expanded against the vocabulary size. */
export type ResolvedTarget =
  | Exclude<TargetSpec, { kind: 'vanilla' | 'outlier' }>
  | (Extract<TargetSpec, { kind: 'vanilla' | 'outlier' }> & { entropyBits: number[] });

/** Expands grids once V is known; a SpecError names every grid that falls outside [0, log2 V]. */
export function resolveGrids(spec: SweepSpec, vocabSize: number): ResolvedTarget[] {
  const issues: SpecIssue[] = [];
  const out = spec.targets.map((t, i): ResolvedTarget => {
    if (t.kind !== 'vanilla' && t.kind !== 'outlier') return t;
    try {
      return { ...t, entropyBits: expandGrid(t.entropyBits, vocabSize, `targets[${i}].entropyBits`) };
    } catch (e) {
      if (e instanceof SpecError) issues.push(...e.issues);
      else throw e;
      return { ...t, entropyBits: [] };
    }
  });
  if (issues.length > 0)
    throw new SpecError(issues, `Sweep spec does not fit the model's vocabulary (${vocabSize} tokens)`);
  return out;
}

/** Every method of the spec with its pattern and candidates filled in. */
export function resolveMethods(spec: SweepSpec): ResolvedMethod[] {
  return spec.methods.map((m) => resolveMethod(m, spec.prefixLength));
}

// Fields that say where and how fast a sweep runs but not what it computes. They are left out of
// the spec hash so that shards, resumed runs and runs on other devices count as the same sweep.
const RUN_ONLY_FIELDS = ['output', 'shard', 'device', 'devices', 'batchSize', 'cudaGraph'] as const;

/** JSON with object keys sorted, so equal specs hash equally whatever order their keys came in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The part of a spec that determines its rows and their results. */
export function scientificSpec(spec: SweepSpec): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...spec };
  for (const k of RUN_ONLY_FIELDS) delete copy[k];
  // Deterministic rows batch in groups of batchSize: there it changes the results.
  if (spec.deterministic) copy.batchSize = spec.batchSize;
  else delete copy.deterministic;
  return copy;
}

/** sha256 (hex) of the scientific part of the spec: shards and resumes must match it. */
export function specHash(spec: SweepSpec): string {
  return createHash('sha256')
    .update(canonicalJson(scientificSpec(spec)))
    .digest('hex');
}

/**
 * The fields in which two specs' scientific parts differ, each with both values ("inits 2 in
 * r.arrow, 3 in this run"): what a refused resume or merge tells the user to change. Empty when
 * their hashes agree.
 */
export function specDifferences(a: SweepSpec, b: SweepSpec, inA: string, inB: string): string[] {
  const x = scientificSpec(a);
  const y = scientificSpec(b);
  const full = (v: unknown) => (v === undefined ? 'absent' : canonicalJson(v));
  const shown = (v: unknown) => {
    const text = full(v);
    return text.length > 60 ? `${text.slice(0, 60)}…` : text;
  };
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .sort()
    .filter((k) => canonicalJson(x[k] ?? null) !== canonicalJson(y[k] ?? null))
    .map((k) => {
      const [a, b] = [x[k], y[k]];
      // Lists too long to show whole (methods, targets) are told by the entries one holds and the
      // other lacks: cut at 60 characters, both would show the same first entries and no difference.
      if (Array.isArray(a) && Array.isArray(b) && Math.max(full(a).length, full(b).length) > 60)
        return `${k} ${listChange(a, b, inA, inB)}`;
      return `${k} ${shown(a)} in ${inA}, ${shown(b)} in ${inB}`;
    });
}

/** "[…, {"method":"hard"}] only in r.arrow; […] only in this run", or that only the order differs. */
function listChange(a: unknown[], b: unknown[], inA: string, inB: string): string {
  const lacking = (p: unknown[], q: unknown[]) => {
    const left = q.map((e) => canonicalJson(e));
    return p.filter((e) => {
      const i = left.indexOf(canonicalJson(e));
      if (i >= 0) left.splice(i, 1);
      return i < 0;
    });
  };
  const [onlyA, onlyB] = [lacking(a, b), lacking(b, a)];
  if (onlyA.length + onlyB.length === 0)
    return `the same ${a.length} entries in another order in ${inA} than in ${inB}`;
  const entries = (v: unknown[]) => {
    const text = v.map((e) => canonicalJson(e)).join(', ');
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  };
  return [
    ...(onlyA.length ? [`${entries(onlyA)} only in ${inA}`] : []),
    ...(onlyB.length ? [`${entries(onlyB)} only in ${inB}`] : []),
  ].join(', ');
}

/**
 * How two specs with different hashes differ, as one phrase: their fields (specDifferences), or,
 * where none differs (a hash stored by another version), the two hashes.
 */
export function specChange(a: SweepSpec, hashA: string, inA: string, b: SweepSpec, hashB: string, inB: string): string {
  const fields = specDifferences(a, b, inA, inB);
  return fields.length > 0 ? fields.join('; ') : `spec hash ${hashA.slice(0, 12)}… vs ${hashB.slice(0, 12)}…`;
}
