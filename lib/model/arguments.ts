// The checks of what a script passes to a model's calls and to the kernels, made before the addon
// sees it so that each names the call, the argument and its value (an ArgumentError, exit 2).
// Each reads an argument's type and length, not its values: a pass over a big array is left to
// the callers that already make one (token ids against the vocabulary, finiteness).
import { described, shown } from '../spec/fields.js';
import { ArgumentError } from '../io/argument-error.js';

type ArrayType = Float32ArrayConstructor | Int32ArrayConstructor;

/** `value` is an integer of at least `least`. */
export function checkCount(call: string, name: string, value: unknown, least: number): asserts value is number {
  if (!Number.isInteger(value) || (value as number) < least)
    throw new ArgumentError(`${call}: ${name} must be an integer of at least ${least}, got ${shown(value)}`);
}

/** `value` is a `type` of `want` values (`shape`, e.g. 'rows×vocab'). */
export function checkArray(
  call: string,
  name: string,
  value: unknown,
  type: ArrayType,
  want: number,
  shape: string,
): void {
  if (!(value instanceof type))
    throw new ArgumentError(
      `${call}: ${name} must be ${type === Int32Array ? 'an' : 'a'} ${type.name} of ${shape} = ${want} values, got ${described(value)}` +
        (ArrayBuffer.isView(value) || Array.isArray(value) ? `: convert it with ${type.name}.from` : ''),
    );
  if (value.length !== want)
    throw new ArgumentError(
      `${call}: ${name} has ${value.length} values; expected ${shape} = ${want}: give as many, or change the sizes`,
    );
}

/** A device's name as loadModel and the kernels take it (whether this machine has it is the addon's to say). */
export const isDeviceName = (device: unknown): boolean =>
  typeof device === 'string' && /^(cpu|cuda(:\d+)?)$/.test(device);

export function checkDevice(call: string, device: unknown): void {
  if (device !== undefined && !isDeviceName(device))
    throw new ArgumentError(`${call}: device must be 'cpu', 'cuda' or 'cuda:N', got ${shown(device)}`);
}

/** `value` is undefined or one of `values`. */
export function checkOneOf(call: string, name: string, value: unknown, values: readonly string[]): void {
  if (value !== undefined && !values.includes(value as string))
    throw new ArgumentError(`${call}: ${name} must be one of ${values.join(', ')}, got ${shown(value)}`);
}
