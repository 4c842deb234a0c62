// README.md's library against lib/index.ts: "What the library exports" names every value the
// entry exports, lists each option of the calls it writes out with their options (as the calls
// themselves name them when refusing an unknown one), and each TypeScript example imports from
// 'distprompt' only what it exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import * as entry from '../lib/index.js';
import {
  estimateSweep,
  keptAtStart,
  loadModel,
  mergeResults,
  presetNames,
  runSweep,
  validateTargets,
} from '../lib/index.js';
import { BoundOptionsSchema } from '../lib/bound/options.js';
import { TuneOptionsSchema } from '../lib/spec/tune-options.js';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const section = readme.split('### What the library exports')[1]?.split('\n### ')[0] ?? '';
const exported = Object.keys(entry);

describe("README's library", () => {
  it('"What the library exports" names every value the entry exports', () => {
    expect(exported.length).toBeGreaterThan(40);
    const unnamed = exported.filter((name) => !new RegExp(`\`(?:new )?${name}\\b`).test(section));
    expect(unnamed).toEqual([]);
  });

  it('lists every option of the calls it writes with their options', async () => {
    /** The option names a call gives when refusing an unknown one. */
    const known = async (call: (bogus: never) => unknown): Promise<string[]> => {
      try {
        await call({ bogus: 1 } as never);
      } catch (e) {
        const list = /\(known: ([^)]*)\)/.exec((e as Error).message)?.[1];
        if (list) return list.split(', ').sort();
        throw e;
      }
      throw new Error('an unknown option was taken');
    };
    /** The names inside `call(…, { a, b })` in the section. */
    const listed = (call: string): string[] => {
      const m = new RegExp(`\`${call}\\([^\`{]*\\{([^}]*)\\}\\)\``).exec(section);
      if (!m) throw new Error(`README: no \`${call}(…, { … })\` in "What the library exports"`);
      return m[1]
        .split(',')
        .map((n) => n.trim())
        .sort();
    };
    const loadOptions = section.split('(`LoadOptions`:')[1]?.split('); `Model`')[0] ?? '';
    expect([...loadOptions.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort()).toEqual(
      await known((o) => loadModel('random:micro', o)),
    );
    expect(listed('runSweep')).toEqual(await known((o) => runSweep({}, o)));
    expect(listed('estimateSweep')).toEqual(await known((o) => estimateSweep({}, o)));
    expect(listed('keptAtStart')).toEqual(await known((o) => keptAtStart({}, o)));
    expect(listed('mergeResults')).toEqual(await known((o) => mergeResults([], 'merged.arrow', o)));
    expect(listed('validateTargets')).toEqual(await known((o) => validateTargets(new Float32Array([1]), 1, 1, o)));
  });

  it('names every option of tune() and of the head bound', () => {
    const options = [...Object.keys(TuneOptionsSchema.shape), ...Object.keys(BoundOptionsSchema.shape)];
    // Named in the text (`lr`, `pattern: 'HHSSS'`) or given in an example ({ method: 'soft' }).
    const named = (o: string) => new RegExp(`\`${o}[\`:]|[{,]\\s*${o}:`).test(readme);
    expect(options.filter((o) => !named(o))).toEqual([]);
  });

  it('names every random: preset, as info lists them', () => {
    const list = /seeded random weights \(([\s\S]*?); `npx distprompt info` lists/.exec(readme)?.[1] ?? '';
    expect([...list.matchAll(/`([\w.-]+)`/g)].map((m) => m[1]).sort()).toEqual(presetNames().sort());
  });

  it("each example imports from 'distprompt' only names the entry exports", () => {
    const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
    const imports = blocks.flatMap((b) =>
      [...b.matchAll(/import\s*\{([^}]*)\}\s*from\s*'distprompt'/g)].flatMap((m) =>
        m[1]
          .split(',')
          .map((n) => n.trim().replace(/^type\s+/, ''))
          .filter(Boolean),
      ),
    );
    expect(imports.length).toBeGreaterThan(2);
    expect(imports.filter((n) => !exported.includes(n))).toEqual([]);
  });
});
