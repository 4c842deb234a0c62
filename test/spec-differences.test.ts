// What a refused resume or merge says differs between two specs. A list too long to show whole
// (methods, targets) is told by the entries one spec holds and the other lacks, not cut at 60
// characters where both would read alike.
import { expect, it } from 'vitest';

import { parseSpec, specDifferences } from '../lib/spec/index.js';

const methods = [{ method: 'soft' }, { method: 'hard', candidates: 2 }, { method: 'hard', candidates: 3 }];
const spec = (over: object) => parseSpec({ model: 'random:micro', methods, ...over });

it('a long list names the entries only one side holds', () => {
  const more = spec({ methods: [...methods, { method: 'hard', candidates: 4 }] });
  expect(specDifferences(spec({}), more, 'r.arrow', 'this run')).toEqual([
    'methods {"candidates":4,"method":"hard"} only in this run',
  ]);
  const swapped = spec({ methods: [...methods.slice(0, 2), { method: 'hard', candidates: 5 }] });
  expect(specDifferences(spec({}), swapped, 'r.arrow', 'this run')).toEqual([
    'methods {"candidates":3,"method":"hard"} only in r.arrow, {"candidates":5,"method":"hard"} only in this run',
  ]);
  const reordered = spec({ methods: [...methods].reverse() });
  expect(specDifferences(spec({}), reordered, 'r.arrow', 'this run')).toEqual([
    'methods the same 3 entries in another order in r.arrow than in this run',
  ]);
});

it('short values are shown whole, both sides', () => {
  expect(specDifferences(spec({ maxEpochs: 5 }), spec({ maxEpochs: 6 }), 'r.arrow', 'this run')).toEqual([
    'maxEpochs 5 in r.arrow, 6 in this run',
  ]);
});
