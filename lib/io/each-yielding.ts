// A pass over many items (a resumed journal's rows) spread over turns of the event loop: building
// a Set or Map of 167,000 row ids in one go held the loop for tenths of a second, growing with the
// journal, while a Ctrl-C waited.

import { setImmediate as nextTurn } from 'node:timers/promises';

/** Items visited per turn: a few µs each, so a turn stays near a millisecond however many there are. */
export const ITEMS_PER_TURN = 1000;

/**
 * Calls `visit` on each item in order, ITEMS_PER_TURN of them per turn of the event loop; stops
 * with `signal`'s reason at the first turn after it aborts.
 */
export async function eachYielding<T>(
  items: readonly T[],
  visit: (item: T) => void,
  signal?: AbortSignal,
): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    if (i > 0 && i % ITEMS_PER_TURN === 0) {
      await nextTurn();
      signal?.throwIfAborted();
    }
    visit(items[i]);
  }
}

/** The items `keep` keeps, in order, visited as eachYielding visits them. */
export async function filterYielding<T>(
  items: readonly T[],
  keep: (item: T) => boolean,
  signal?: AbortSignal,
): Promise<T[]> {
  const kept: T[] = [];
  await eachYielding(items, (item) => void (keep(item) && kept.push(item)), signal);
  return kept;
}
