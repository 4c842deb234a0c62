// A checkpoint's identity (Model.info.identity, the `hash` in every results file's model) tells
// one set of weights from another, not only one architecture from another: a fine-tune saved
// into the folder of its base model has the same config and tensor headers, and its rows must not
// be resumed, reused or shared as the base model's.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { DIGEST_SAMPLES, DIGEST_WINDOW, digestWindows } from '../lib/checkpoint/index.js';
import { loadModel } from '../lib/index.js';
import { identityAtHand } from '../lib/model/identity.js';
import { readResults } from '../lib/results/index.js';
import { cli, scratchDir } from './helpers/cli.js';

const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const dir = scratchDir('identity');

/** A copy of the fixture checkpoint at `name`. */
function copy(name: string): string {
  const to = join(dir, name);
  cpSync(fixture, to, { recursive: true });
  return to;
}

/** Every float32 weight of `folder`'s model.safetensors nudged in its lowest mantissa bit: a "fine-tune". */
function nudgeWeights(folder: string): void {
  const path = join(folder, 'model.safetensors');
  const bytes = readFileSync(path);
  const dataAt = 8 + Number(bytes.readBigUInt64LE(0));
  for (let i = dataAt; i < bytes.length; i += 4) bytes[i] ^= 1;
  writeFileSync(path, bytes);
}

async function identityOf(folder: string): Promise<string> {
  const m = await loadModel(folder, { tokenizer: false });
  try {
    return m.info.identity;
  } finally {
    m.dispose();
  }
}

describe('the sampled windows', () => {
  it('read a small tensor whole and a large one at evenly spaced windows inside it, first to last byte', () => {
    expect(digestWindows(100, 100)).toEqual([]);
    expect(digestWindows(100, 101)).toEqual([[100, 101]]);
    const whole = DIGEST_WINDOW * DIGEST_SAMPLES;
    expect(digestWindows(8, 8 + whole)).toEqual([[8, 8 + whole]]);
    const big = digestWindows(8, 8 + whole + 3);
    expect(big).toHaveLength(DIGEST_SAMPLES);
    expect(big[0]).toEqual([8, 8 + DIGEST_WINDOW]);
    expect(big.at(-1)).toEqual([8 + whole + 3 - DIGEST_WINDOW, 8 + whole + 3]);
    for (const [a, b] of big) expect(b - a).toBe(DIGEST_WINDOW);
    for (let i = 1; i < big.length; i++) expect(big[i][0]).toBeGreaterThan(big[i - 1][0]);
  });
});

describe("a checkpoint's identity", () => {
  it('is kept by a copy and changed by other weights under the same config and headers', async () => {
    const base = await identityOf(fixture);
    expect(await identityOf(copy('copied'))).toBe(base);
    const tuned = copy('tuned');
    nudgeWeights(tuned);
    expect(await identityOf(tuned)).not.toBe(base);
  });

  it('is read from the files alone as loadModel gives it: a checkpoint, its random twin, a preset', async () => {
    for (const arg of [fixture, `random:${fixture}`, 'random:micro']) {
      const m = await loadModel(arg, { tokenizer: false });
      try {
        expect(await identityAtHand(arg), arg).toBe(m.info.identity);
      } finally {
        m.dispose();
      }
    }
    // Not at hand: a hub id not in the cache is not downloaded for it.
    expect(await identityAtHand('no-such-org/no-such-model')).toBeNull();
  });

  it('keeps a sweep from reusing rows its folder made with the weights it held before', async () => {
    const model = copy('model');
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({
        model,
        targets: [{ kind: 'vanilla', entropyBits: [2, 5], method: 'temperature' }],
        methods: [{ method: 'soft' }],
        inits: 1,
        maxEpochs: 3,
        patience: 3,
        bound: false,
      }),
    );
    const run = (args: string[]) =>
      spawnSync(process.execPath, [cli, 'sweep', '-c', spec, '--no-figures', ...args], { cwd: dir, encoding: 'utf8' });
    expect(run(['-o', 'before.arrow', '-q']).status).toBe(0);
    // The same weights: every row is taken.
    const same = run(['-o', 'same.arrow', '--reuse', 'before.arrow']);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stderr).toMatch(/2 rows in same\.arrow \(0 resumed, 2 taken from earlier sweeps\)/);
    nudgeWeights(model);
    const after = run(['-o', 'after.arrow', '--reuse', 'before.arrow']);
    expect(after.status, after.stderr).toBe(0);
    expect(after.stderr).toMatch(/no row taken: its rows are of .*model with other weights or config/);
    expect(after.stderr).toMatch(/2 rows in after\.arrow \(0 resumed\)/);
    const [a, b] = await Promise.all(['before.arrow', 'after.arrow'].map((f) => readResults(join(dir, f))));
    expect(b.metadata.model.hash).not.toBe(a.metadata.model.hash);

    // --resume of the finished file made with the old weights: refused, by the run and its plan
    // alike, where it handed the old rows back as done.
    for (const extra of [[], ['--plan']]) {
      const resumed = run(['-o', 'before.arrow', '--resume', ...extra]);
      expect(resumed.status, resumed.stderr).toBe(2);
      expect(resumed.stderr).toMatch(/cannot resume from \S*before\.arrow: the model differs/);
    }
    // ... and that of the file made with the weights there now is not.
    const kept = run(['-o', 'after.arrow', '--resume']);
    expect(kept.status, kept.stderr).toBe(0);
    expect(kept.stderr).toMatch(/2 rows in after\.arrow \(2 resumed\)/);
  }, 120_000);
});
