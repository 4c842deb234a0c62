// What a resumed sweep keeps of its journal's rows while it runs: only those it runs again.
import { describe, expect, it } from 'vitest';

import { rerunRecords } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep, rowsToRun } from '../lib/sweep/index.js';

const spec = (deterministic: boolean) =>
  parseSpec({
    model: 'random:micro',
    targets: [{ kind: 'vanilla', entropyBits: '1:4:1', method: 'temperature' }],
    methods: [{ method: 'soft' }],
    inits: 4,
    batchSize: 4,
    deterministic,
    bound: false,
  });

describe("a resumed sweep's journaled rows", () => {
  it.each([false, true])(
    'are held only where the resume runs them again (deterministic: %s): a long journal is not kept for the whole run',
    async (deterministic) => {
      const s = spec(deterministic);
      const rows = planSweep(s, 1000).shardRows;
      expect(rows).toHaveLength(16);
      // The first 6 rows finished: a whole group of 4, and 2 of the next.
      const journaled = rows.slice(0, 6).map((r) => ({ rowId: r.rowId, klNats: 1 }));
      const finished = new Set(journaled.map((r) => r.rowId));
      const todo = rowsToRun(s, rows, finished);
      const held = await rerunRecords(todo, finished, journaled);
      // Continuous batching runs only the 10 unfinished rows; a deterministic resume reruns the
      // second group whole, comparing its 2 finished rows with the journal.
      expect([...held.keys()]).toEqual(deterministic ? rows.slice(4, 6).map((r) => r.rowId) : []);
      expect(todo).toHaveLength(deterministic ? 12 : 10);
    },
  );
});
