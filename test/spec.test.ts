import { describe, expect, test } from 'vitest';
import { expandGrid, parseSpec, resolveGrids, SpecError, specFromFlags, specHash } from '../lib/spec/index.js';

/** The SpecError's message for an input, asserting that it is one. */
function messageFor(input: unknown): string {
  try {
    parseSpec(input);
  } catch (e) {
    expect(e).toBeInstanceOf(SpecError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${JSON.stringify(input)}`);
}

describe('parseSpec', () => {
  test('nothing given is the defaults; null, a number or an array is refused as not a spec', () => {
    expect(parseSpec(undefined)).toEqual(parseSpec({}));
    for (const [bad, shown] of [
      [null, 'null'],
      [5, '5'],
      [[], '[]'],
    ] as const)
      expect(() => parseSpec(bad)).toThrow(`(spec): expected a sweep spec object, got ${shown}`);
  });
  test('an empty spec takes the study defaults', () => {
    const spec = parseSpec({});
    expect(spec).toMatchObject({
      model: 'random:tiny-gpt2',
      device: 'cpu',
      dtype: 'float32',
      prefixLength: 5,
      inits: 5,
      lr: 0.1,
      maxEpochs: 500,
      patience: 20,
      batchSize: 'auto',
      seed: 0,
      output: 'results.arrow',
      methods: [{ method: 'soft' }],
      targets: [{ kind: 'vanilla', entropyBits: '0:max:0.05', method: 'gradient' }],
    });
    expect(spec.shard).toBeUndefined();
  });

  test('every target kind takes its defaults', () => {
    const spec = parseSpec({
      targets: [
        { kind: 'outlier' },
        { kind: 'lm' },
        { kind: 'shuffled' },
        { kind: 'migrated', source: 'gpt2' },
        { kind: 'pos-uniform' },
        { kind: 'file', path: 't.json' },
      ],
    });
    expect(spec.targets).toMatchObject([
      { kind: 'outlier', outliers: 1 },
      { kind: 'lm', count: 100, pairedVanilla: true },
      { kind: 'shuffled', shuffles: 5 },
      { kind: 'migrated', source: 'gpt2' },
      { kind: 'pos-uniform', n: 100, tags: ['noun', 'proper-noun', 'verb', 'adjective'] },
      { kind: 'file', path: 't.json' },
    ]);
  });

  test.each([
    [
      { targets: [{ kind: 'nope' }] },
      'targets[0].kind',
      "kind one of vanilla, outlier, lm, shuffled, migrated, pos-uniform, file, got 'nope'",
    ],
    [
      { targets: [{ entropyBits: 2 }] },
      'targets[0].kind',
      'kind one of vanilla, outlier, lm, shuffled, migrated, pos-uniform, file, none given',
    ],
    // Written as a --targets flag is: the entry is an object, and the message shows one.
    [
      { targets: ['vanilla'] },
      'targets[0]',
      `expected an entry such as {"kind": "vanilla", "entropyBits": "0:max:1"}, got 'vanilla'`,
    ],
    [
      { targets: 'vanilla' },
      'targets',
      `expected a list of target entries, e.g. [{"kind": "vanilla", "entropyBits": "0:max:1"}], got 'vanilla'`,
    ],
    [
      { targets: [{ kind: 'vanilla', sample: 2 }] },
      'targets[0]',
      "unknown field 'sample' (known: kind, entropyBits, method, eps, samples)",
    ],
    [{ targets: [{ kind: 'vanilla', entropyBits: '0:max' }] }, 'targets[0].entropyBits', "expected 'start:stop:step'"],
    [{ targets: [{ kind: 'vanilla', entropyBits: '0:1:0' }] }, 'targets[0].entropyBits', 'step must be > 0'],
    [{ targets: [{ kind: 'vanilla', entropyBits: '2:1:0.5' }] }, 'targets[0].entropyBits', 'stop must be >= start'],
    [{ targets: [{ kind: 'vanilla', entropyBits: [-1] }] }, 'targets[0].entropyBits[0]', 'must be >= 0 bits'],
    [{ targets: [{ kind: 'vanilla', eps: 0 }] }, 'targets[0].eps', 'must be > 0 bits'],
    [{ targets: [{ kind: 'migrated' }] }, 'targets[0].source', 'source model id'],
    [
      { targets: [{ kind: 'pos-uniform', tags: ['adverb'] }] },
      'targets[0].tags[0]',
      "must be 'noun', 'proper-noun', 'verb' or 'adjective', got 'adverb'",
    ],
    [{ targets: [] }, 'targets', 'at least one target kind'],
    [{ prefixLength: '5' }, 'prefixLength', "expected a positive integer, got '5'"],
    [{ prefixLength: 0 }, 'prefixLength', 'must be >= 1, got 0'],
    // The tuning rules are tune()'s own (lib/spec/tune-options.ts), not restated: its cap holds here too.
    [{ prefixLength: 513 }, 'prefixLength', 'must be at most 512, got 513'],
    // Beside a hard method, whose pattern and label are spelt out per position (-1 threw a RangeError).
    [{ prefixLength: -1, methods: [{ method: 'hard' }] }, 'prefixLength', 'must be >= 1, got -1'],
    [{ prefixLength: 1e308, methods: [{ method: 'soft', pattern: 'S' }] }, 'prefixLength', 'must be at most 512'],
    [{ methods: [{ method: 'hard', candidates: 513 }] }, 'methods[0].candidates', 'must be at most 512, got 513'],
    [{ inits: 2.5 }, 'inits', 'must be an integer, got 2.5'],
    [{ inits: 0 }, 'inits', 'must be >= 1, got 0'],
    [{ init: 'gauss' }, 'init', "must be 'tokens' or 'gaussian', got 'gauss'"],
    [
      { targets: [{ kind: 'vanilla', method: 'temp' }] },
      'targets[0].method',
      "must be 'gradient' or 'temperature', got 'temp'",
    ],
    [{ lr: -1 }, 'lr', 'must be > 0, got -1'],
    [{ seed: -3 }, 'seed', 'must be >= 0, got -3'],
    [{ batchSize: 'big' }, 'batchSize', "expected 'auto' or a positive integer, got 'big'"],
    [{ device: 'gpu' }, 'device', "expected 'cpu', 'cuda' or 'cuda:N', got 'gpu'"],
    [{ devices: ['cuda:0', 'tpu'] }, 'devices[1]', "got 'tpu'"],
    [{ dtype: 'int8' }, 'dtype', "must be 'float32', 'bfloat16' or 'float16', got 'int8'"],
    [{ methods: [{ method: 'greedy' }] }, 'methods[0].method', "must be 'soft', 'hard' or 'hybrid', got 'greedy'"],
    [{ methods: ['soft'] }, 'methods[0]', `expected an entry such as {"method": "soft"}, got 'soft'`],
    [{ methods: 'soft' }, 'methods', `expected a list of method entries, e.g. [{"method": "soft"}], got 'soft'`],
    [{ methods: [{ method: 'hard', k: 4 }] }, 'methods[0]', "unknown field 'k' (known: method, pattern, candidates)"],
    [{ methods: [{ method: 'hybrid' }] }, 'methods[0].pattern', 'hybrid needs a pattern of 5 letters'],
    [
      { methods: [{ method: 'hybrid', pattern: 'HHS' }] },
      'methods[0].pattern',
      "pattern 'HHS' has 3 positions but prefixLength is 5",
    ],
    [{ methods: [{ method: 'hybrid', pattern: 'HHXSS' }] }, 'methods[0].pattern', 'only H (hard) and S (soft)'],
    [
      { methods: [{ method: 'hybrid', pattern: 'hhsss' }] },
      'methods[0].pattern',
      "pattern 'hhsss' has small letters: write the pattern in capitals: HHSSS",
    ],
    [{ methods: [{ method: 'hard', pattern: 'HHSSS' }] }, 'methods[0].pattern', "use { method: 'hybrid' } for 'HHSSS'"],
    [{ methods: [{ method: 'soft', candidates: 4 }] }, 'methods[0].candidates', 'not soft'],
    [
      { methods: [{ method: 'hybrid', pattern: 'SSSSS', candidates: 4 }] },
      'methods[0].candidates',
      "pattern 'SSSSS' has none",
    ],
    [{ methods: [{ method: 'soft' }, { method: 'soft' }] }, 'methods[1]', 'duplicates methods[0]'],
    // The same rows under two labels: a hybrid of H only is hard, one of S only soft.
    [
      { methods: [{ method: 'hard' }, { method: 'hybrid', pattern: 'HHHHH' }] },
      'methods[1]',
      'hybrid:HHHHH:k=1 runs the rows of methods[0] (hard:k=1): a pattern of H only is the hard method',
    ],
    [
      { methods: [{ method: 'hybrid', pattern: 'SSSSS' }, { method: 'soft' }] },
      'methods[1]',
      'soft runs the rows of methods[0] (hybrid:SSSSS:k=1): a pattern of S only is the soft method',
    ],
    [{ shard: '3/3' }, 'shard', 'index 3 must be < count 3'],
    [
      { devices: ['cuda:1'], device: 'cuda:0' },
      'devices',
      'names one device, cuda:1, and device names another, cuda:0',
    ],
    // A device worker's spec names its device beside them; a spec without one would run on the CPU.
    [{ devices: ['cuda:0', 'cuda:1'], shard: '1/2' }, 'devices', 'this run is one shard of it already (shard 1/2)'],
    [{ shard: 'x' }, 'shard', "expected 'i/N'"],
    [{ shard: { index: 0 } }, 'shard', 'shard.count must be an integer >= 1'],
    // Named as tune() names a misspelt option, with the fields there are.
    [
      { prefixLen: 3 },
      '(spec)',
      "unknown field 'prefixLen' (known: model, device, devices, dtype, targets, methods, prefixLength,",
    ],
    [{ output: '' }, 'output', 'expected a file path'],
  ])('%j fails at %s', (input, path, expected) => {
    const message = messageFor(input);
    expect(message).toContain(`${path}: `);
    expect(message).toContain(expected);
  });

  test('several bad fields are all listed', () => {
    const message = messageFor({ lr: 0, inits: 0, device: 'tpu' });
    expect(message.split('\n').filter((l) => l.startsWith('  - '))).toHaveLength(3);
  });

  test("one device in devices is the run's device; several with a shard need the shard's", () => {
    expect(parseSpec({ devices: ['cuda:1'] }).device).toBe('cuda:1');
    expect(parseSpec({ devices: ['cuda:1'], device: 'cuda:1' }).device).toBe('cuda:1');
    expect(parseSpec({ devices: ['cuda:0', 'cuda:1'], shard: '1/2', device: 'cuda:1' }).device).toBe('cuda:1');
  });

  test('shard strings and objects normalise to { index, count }', () => {
    expect(parseSpec({ shard: '1/3' }).shard).toEqual({ index: 1, count: 3 });
    expect(parseSpec({ shard: { index: 2, count: 3 } }).shard).toEqual({ index: 2, count: 3 });
  });
});

describe('grids', () => {
  test("'0:max:0.05' ends exactly at log2 V and has clean steps", () => {
    const values = expandGrid('0:max:0.05', 50257);
    expect(values[0]).toBe(0);
    expect(values[3]).toBe(0.15);
    expect(values[values.length - 1]).toBe(Math.log2(50257));
    expect(values.length).toBe(Math.floor(Math.log2(50257) / 0.05) + 2);
  });

  test('a range that lands on its stop includes it once', () => {
    expect(expandGrid('0:1:0.25', 16)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(expandGrid('0:max:1', 16)).toEqual([0, 1, 2, 3, 4]);
  });

  test('resolveGrids names the grid that exceeds log2 V', () => {
    const spec = parseSpec({ targets: [{ kind: 'lm' }, { kind: 'outlier', entropyBits: [1, 5] }] });
    expect(() => resolveGrids(spec, 16)).toThrow(
      /targets\[1\]\.entropyBits: entropy 5 bits outside \[0, 4\.0000\].*16/,
    );
    expect(resolveGrids(spec, 64)[1]).toMatchObject({ entropyBits: [1, 5] });
  });
});

describe('specFromFlags', () => {
  test('a method label giving k or a pattern twice is refused, and a bad pattern is named once', () => {
    const issues = (methods: string) => {
      try {
        specFromFlags({ methods });
      } catch (e) {
        return (e as SpecError).issues.map((i) => i.message);
      }
      return [];
    };
    expect(issues('hard:k=2:k=3')).toEqual(["method 'hard:k=2:k=3' gives k twice: give it once"]);
    expect(issues('hybrid:HHSSS:SSHHH')).toEqual(["method 'hybrid:HHSSS:SSHHH' gives a pattern twice: give it once"]);
    expect(issues('hybrid:HHXSS')).toEqual([
      "pattern 'HHXSS' may hold only H and S, got 'X' at position 2: write only H (hard) and S (soft)",
    ]);
    expect(issues('hybrid:HHS')).toEqual(["pattern 'HHS' has 3 positions but prefixLength is 5"]);
    // The same rule as a spec file's: small letters are refused, not read as capitals.
    expect(issues('hybrid:hhsss')).toEqual(["pattern 'hhsss' has small letters: write the pattern in capitals: HHSSS"]);
    expect(issues('hybrid:HhSSS')).toEqual(["pattern 'HhSSS' has small letters: write the pattern in capitals: HHSSS"]);
  });

  test('flags override the file field by field', () => {
    const file = {
      model: 'gpt2',
      inits: 3,
      methods: [{ method: 'hard' }],
      targets: [{ kind: 'vanilla' }, { kind: 'lm', count: 4 }],
    };
    const spec = specFromFlags(
      { inits: '2', methods: 'soft,hard:k=4,hybrid:HHSSS', entropy: '0:2:1', shard: '1/3', batchSize: '64' },
      file,
    );
    expect(spec.model).toBe('gpt2');
    expect(spec.inits).toBe(2);
    expect(spec.batchSize).toBe(64);
    expect(spec.shard).toEqual({ index: 1, count: 3 });
    expect(spec.methods).toEqual([
      { method: 'soft' },
      { method: 'hard', candidates: 4 },
      { method: 'hybrid', pattern: 'HHSSS' },
    ]);
    expect(spec.targets[0]).toMatchObject({ kind: 'vanilla', entropyBits: '0:2:1' });
    expect(spec.targets[1]).toMatchObject({ kind: 'lm', count: 4 });
    // --weight-decay: the studies' 0.01 from the command line; absent, the file's or none.
    expect(specFromFlags({ weightDecay: '0.01' }, file).weightDecay).toBe(0.01);
    expect(specFromFlags({}, { ...file, weightDecay: 0.02 }).weightDecay).toBe(0.02);
    expect(() => specFromFlags({ weightDecay: '-1' })).toThrow(/weightDecay/);
  });

  test('--cuda-graph asks for CUDA graphs, --no-cuda-graph turns them off, and only CUDA devices take them', () => {
    expect(specFromFlags({ cudaGraph: true, device: 'cuda' }).cudaGraph).toBe(true);
    // Absent: tune()'s default (on for soft methods on CUDA), and the spec's hash is unchanged.
    expect(specFromFlags({ device: 'cuda' }).cudaGraph).toBeUndefined();
    expect(specFromFlags({ cudaGraph: false, device: 'cuda' }).cudaGraph).toBe(false);
    expect(specFromFlags({ cudaGraph: false }).cudaGraph).toBe(false);
    expect(() => specFromFlags({ cudaGraph: true })).toThrow(/cudaGraph: needs CUDA devices; cpu is not one/);
    expect(() => specFromFlags({ cudaGraph: true, device: 'cuda', devices: 'cuda:0,cpu' })).toThrow(/cpu is not one/);
  });

  test('bad flags are reported by field', () => {
    expect(() => specFromFlags({ methods: 'soft,greedy' })).toThrow(/methods\[1\]: unknown method 'greedy'/);
    expect(() => specFromFlags({ inits: 'five' })).toThrow(/inits: expected a positive integer, got 'five'/);
    expect(() => specFromFlags({ targets: 'vanilla,bogus' })).toThrow(/targets\[1\]\.kind/);
    expect(() => specFromFlags({}, [1, 2])).toThrow(/must hold a JSON object/);
    // A misspelt flag is refused, not dropped for the default (500 epochs).
    expect(() => specFromFlags({ maxEpoch: 3 } as never)).toThrow(/specFromFlags: unknown flag 'maxEpoch'.*maxEpochs/);
    expect(() => specFromFlags({ methods: 'soft:k=2' })).toThrow(/soft' takes no k/);
  });

  test("a script's flag of another type than the command line's is refused by name (it crashed: 'text.includes is not a function')", () => {
    const refused = (flags: object) => {
      try {
        specFromFlags(flags as never);
      } catch (e) {
        return [(e as Error).name, (e as Error).message];
      }
      return 'taken';
    };
    expect(refused({ entropy: 2 })).toEqual(['SpecError', expect.stringMatching(/entropy: expected a string .*got 2/)]);
    expect(refused({ methods: [1] })).toEqual([
      'SpecError',
      expect.stringMatching(/methods: expected a string or a list of strings.*got \[1\]/),
    ]);
    expect(refused({ maxEpochs: true })).toEqual([
      'SpecError',
      expect.stringMatching(/maxEpochs: expected a number .*got true/),
    ]);
    expect(refused({ batchSize: null })).toEqual([
      'SpecError',
      expect.stringMatching(/batchSize: expected a number .*got null/),
    ]);
  });

  test('flags that would be dropped without a word are refused: --entropy with no gridded target, --targets file', () => {
    expect(() => specFromFlags({ targets: 'lm,shuffled', entropy: '2' })).toThrow(
      /--entropy: sets the grid of vanilla and outlier targets, and this sweep has none \(lm, shuffled\)/,
    );
    expect(() => specFromFlags({ entropy: '2' }, { targets: [{ kind: 'lm' }] })).toThrow(/has none \(lm\)/);
    expect(specFromFlags({ targets: 'lm,outlier', entropy: '2' }).targets[1]).toMatchObject({ entropyBits: [2] });
    expect(() => specFromFlags({ targets: 'vanilla,file' })).toThrow(
      /--targets: a file target needs its path, which only a --config spec gives/,
    );
  });
});

describe('specHash', () => {
  test('ignores key order and where the sweep runs, not what it computes', () => {
    const a = parseSpec({ inits: 2, seed: 1 });
    const b = parseSpec({
      seed: 1,
      inits: 2,
      shard: '2/3',
      output: 'x.arrow',
      device: 'cuda:1',
      batchSize: 8,
      cudaGraph: true,
    });
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(parseSpec({ inits: 2, seed: 2 })));
  });
});
