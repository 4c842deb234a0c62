// The sphere search by Riemannian L-BFGS (the default) against the spectral projected gradient it
// replaced (DISTPROMPT_SPHERE_SEARCH=spg): the same three numbers on odd shapes (a sphere of two
// points, LayerNorm's centred subspace, a bias, groups mixing targets inside and on the sphere),
// and fewer passes over W on a peaked target whose ball optimum is inside, as the solver's own
// trace (DISTPROMPT_BOUND_TRACE) counts them.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { headBoundOf, type HeadBoundRecord, type HeadSpec } from '../lib/bound/index.js';
import { makeHead, noisyTarget } from './helpers/bound-heads.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-sphere-lbfgs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** fn with the environment variable `name` set to `value` (unset for undefined), restored after. */
async function withEnv<T>(name: string, value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

const search = (mode: 'spg' | undefined, head: HeadSpec, targets: number[][]) =>
  withEnv('DISTPROMPT_SPHERE_SEARCH', mode, () => headBoundOf(head, Float32Array.from(targets.flat())));

function expectSame(got: HeadBoundRecord[], plain: HeadBoundRecord[]) {
  got.forEach((g, i) => {
    const p = plain[i];
    // The ball and the bottleneck do not depend on the sphere search: bit for bit.
    expect(g.headBoundNats).toBe(p.headBoundNats);
    expect(g.gapNats).toBe(p.gapNats);
    expect(g.onBoundary).toBe(p.onBoundary);
    expect(g.bottleneckBoundNats).toBe(p.bottleneckBoundNats);
    expect(g.bottleneckStatus).toBe(p.bottleneckStatus);
    // The sphere value: the same minimum, within what a residual of 1e-6 leaves, and never below the ball.
    expect(Math.abs(g.sphereBoundNats! - p.sphereBoundNats!)).toBeLessThanOrEqual(2e-6 + 1e-6 * p.sphereBoundNats!);
    expect(g.sphereBoundNats!).toBeGreaterThanOrEqual(g.headBoundNats - g.gapNats - 1e-9);
    if (g.onBoundary) {
      expect(g.sphereStarts).toBe(0);
      expect(g.sphereBoundNats).toBe(p.sphereBoundNats);
    } else {
      expect(g.sphereStarts!).toBeGreaterThanOrEqual(1);
      expect(g.sphereResidual!).toBeLessThanOrEqual(1e-6);
    }
  });
}

describe('the sphere search by L-BFGS gives the spectral gradient’s numbers', () => {
  const cases: [string, number, number, 'layernorm' | 'rmsnorm', boolean][] = [
    ['rmsnorm d=1 (a sphere of two points)', 5, 1, 'rmsnorm', false],
    ['layernorm d=2 with bias (two points in the centred line)', 9, 2, 'layernorm', true],
    ['rmsnorm d=3', 20, 3, 'rmsnorm', false],
    ['layernorm d=8 with bias', 40, 8, 'layernorm', true],
    ['rmsnorm d=16 with bias, V = 300', 300, 16, 'rmsnorm', true],
  ];
  for (const [name, V, d, norm, bias] of cases) {
    it(name, async () => {
      const c = makeHead(V, d, norm, bias, V * 7 + d);
      // One group: near-uniform targets (inside), a peaked one (on the sphere), an outlier target.
      const targets = [
        noisyTarget(V, 0.05, 1),
        noisyTarget(V, 0.3, 2),
        noisyTarget(V, 4, 3),
        noisyTarget(V, 0.1, 4, 0.5),
      ];
      const plain = await search('spg', c.head, targets);
      const got = await search(undefined, c.head, targets);
      expectSame(got, plain);
      if (d >= 3) expect(got.slice(0, 2).map((g) => g.onBoundary)).toEqual([false, false]);
    });
  }

  it('a peaked target inside the ball: the same value from fewer passes over W', async () => {
    const V = 2000;
    const c = makeHead(V, 32, 'rmsnorm', true, 11, 0.5);
    const p = noisyTarget(V, 0, 1, 0.5); // half the mass on one token, the rest uniform
    const trace = join(dir, 'trace.jsonl');
    const passes = async (mode: 'spg' | undefined) => {
      if (existsSync(trace)) rmSync(trace);
      const [r] = await withEnv('DISTPROMPT_BOUND_TRACE', trace, () => search(mode, c.head, [p]));
      const parts = JSON.parse(readFileSync(trace, 'utf8').trim()).parts as Record<
        string,
        { valueRows: number; gradientRows: number }
      >;
      const sphere = ['sphere screen', 'sphere polish'].map((k) => parts[k].valueRows + parts[k].gradientRows);
      return { r, passes: sphere[0] + sphere[1] };
    };
    const plain = await passes('spg');
    const got = await passes(undefined);
    expect(got.r.onBoundary).toBe(false);
    expectSame([got.r], [plain.r]);
    // Measured 996 against 2,280 when written.
    expect(got.passes).toBeLessThan(0.6 * plain.passes);
  });

  it('names a DISTPROMPT_SPHERE_SEARCH it does not know, and what to set', async () => {
    const c = makeHead(20, 3, 'rmsnorm', false, 3);
    // A peaked target, on the sphere: the setting is checked where no search would run too.
    const [peaked] = await headBoundOf(c.head, Float32Array.from(noisyTarget(20, 4, 3)));
    expect(peaked.onBoundary).toBe(true);
    await expect(
      withEnv('DISTPROMPT_SPHERE_SEARCH', 'newton', () =>
        headBoundOf(c.head, Float32Array.from(noisyTarget(20, 4, 3))),
      ),
    ).rejects.toThrow(/DISTPROMPT_SPHERE_SEARCH is 'newton'; expected 'lbfgs' \(the default\) or 'spg'/);
  });

  it('names a DISTPROMPT_BOUND_TRACE file it cannot write, before solving', async () => {
    const c = makeHead(20, 3, 'rmsnorm', false, 3);
    const nowhere = join(tmpdir(), 'distprompt-no-such-folder', 'trace.jsonl');
    await expect(
      withEnv('DISTPROMPT_BOUND_TRACE', nowhere, () => headBoundOf(c.head, Float32Array.from(noisyTarget(20, 4, 3)))),
    ).rejects.toThrow(
      /DISTPROMPT_BOUND_TRACE: cannot append to .*trace\.jsonl \(No such file or directory\): give a file/,
    );
  });
});
