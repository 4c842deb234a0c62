// The positions a model has: a learned table (GPT-2's n_positions) ends, rotary ones do not. A
// prompt past the table failed mid-run in the forward ('position id 99 is outside the learned
// table'); callers check first and refuse with their own error, after the field it is about.
import type { Model } from './model.js';

/** Why `length` tokens (plus `context` fixed ones) do not fit the model, or undefined if they do. */
export function positionsProblem(
  model: { info: Pick<Model['info'], 'name' | 'config'> },
  length: number,
  context = 0,
): string | undefined {
  const { position, maxPositions } = model.info.config;
  if (position !== 'learned' || length + context <= maxPositions) return undefined;
  const withContext = context > 0 ? ` + ${context} context tokens` : '';
  return (
    `${length}${withContext} positions do not fit ${model.info.name}'s ${maxPositions} learned ` +
    `positions (config.json n_positions): give at most ${maxPositions - context}`
  );
}
