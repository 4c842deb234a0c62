// What a script hands runSweep and estimateSweep besides the spec, checked where it is handed
// over: a string is truthy (resume: 'no' resumed), a number reached node:fs (figures: 3) and a
// model other than the spec's ran under the spec's name.
import { Model } from '../model/model.js';
import { TargetStore } from '../targets/store.js';
import { shown, signalProblem } from '../spec/fields.js';
import type { SweepSpec } from '../spec/index.js';
import { firstDevice } from './shards.js';
import { ArgumentError } from '../io/argument-error.js';

const fail = (owner: string, field: string, rule: string, value: unknown) =>
  new ArgumentError(`${owner}: option ${field} must be ${rule}, got ${shown(value)}`);

/** A spec is asked for, not assumed: a call without one would run the study's defaults for minutes. */
export function specObject(owner: string, spec: unknown): unknown {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec))
    throw new ArgumentError(`${owner}: give a sweep spec (an object; {} is the study's defaults), got ${shown(spec)}`);
  return spec;
}

export function checkBoolean(owner: string, o: Record<string, unknown>, field: string): void {
  const v = o[field];
  if (v !== undefined && typeof v !== 'boolean') throw fail(owner, field, 'true or false', v);
}

export function checkSignal(owner: string, o: Record<string, unknown>): void {
  const problem = signalProblem(o.signal);
  if (problem) throw new ArgumentError(`${owner}: option signal ${problem}`);
}

/** runSweep's figures: a folder, or false for none. */
export function checkFigures(o: Record<string, unknown>): void {
  const v = o.figures;
  if (v !== undefined && v !== false && (typeof v !== 'string' || v === ''))
    throw fail('runSweep', 'figures', 'a folder path or false', v);
}

/** A count or a duration: a finite number above 0, an integer where `integer`. */
export function checkPositive(owner: string, o: Record<string, unknown>, field: string, integer = false): void {
  const v = o[field];
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    throw fail(owner, field, integer ? 'a positive integer' : 'a finite number of seconds above 0', v);
}

/** A given model: a Model, or (where `lazy`) a function that resolves to one. */
export function checkModelOption(owner: string, o: Record<string, unknown>, lazy: boolean): void {
  const v = o.model;
  // A disposed one is refused here, as its first use would refuse it, but before the targets and
  // the plan (seconds of work for a sweep's default grid) and before the output is locked.
  if (v instanceof Model && v.disposed) void v.native;
  if (v === undefined || v instanceof Model || (lazy && typeof v === 'function')) return;
  throw fail(
    owner,
    'model',
    lazy ? 'a Model from loadModel or a function resolving to one' : 'a Model from loadModel',
    v,
  );
}

/**
 * A given model must be the one the spec names, where the spec names it: its results are stored
 * and resumed under the spec's model, device and dtype.
 */
export function checkGivenModel(owner: string, spec: SweepSpec, model: Model): void {
  const cudaZero = (d: string) => (d === 'cuda' ? 'cuda:0' : d);
  const differs = [
    ['model', spec.model, model.info.name],
    // Split over devices, the model is the first one's (a plan calibrates there).
    ['device', cudaZero(firstDevice(spec)), cudaZero(model.info.device)],
    ['dtype', spec.dtype, model.info.dtype],
  ].filter(([, wanted, given]) => wanted !== given);
  if (differs.length === 0) return;
  const what = differs.map(([f, wanted, given]) => `spec.${f} is '${wanted}', the model's is '${given}'`).join('; ');
  throw new ArgumentError(
    `${owner}: option model is not the spec's (${what}): its results would be stored under the spec's; ` +
      "set the spec's fields to the model's, or leave option model out to load spec.model",
  );
}

/** A given target store: one made with new TargetStore(). */
export function checkTargetStore(owner: string, o: Record<string, unknown>): void {
  const v = o.targetStore;
  if (v !== undefined && !(v instanceof TargetStore))
    throw fail(owner, 'targetStore', 'a TargetStore (new TargetStore()), or left out', v);
}
