// The error of a target the caller gave that is not one: not a distribution, the wrong vocabulary
// size, ids or meta that do not match it. Invalid input (exit 2, lib/io/exit-code.ts) wherever it
// is checked: in tune() and the head bound here, in the kernels, and in lib/targets' files and makers.
export class TargetError extends Error {
  override name = 'TargetError';
}
