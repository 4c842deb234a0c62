// Stopping a head bound: its solve checks the signal before each pass over the head, so a bound
// that would run for hours ends at once, with an AbortError; a sweep interrupted during its bound
// stops there (before, the whole bound ran first, minutes on a big head).
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { headBound, headBoundOf, loadModel, synthesizeTargets, type Model } from '../lib/index.js';
import { cli, scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('bound-cancel');

let model: Model;
beforeAll(async () => {
  model = await loadModel('random:micro');
});
afterAll(() => model.dispose());

// A solve that cannot finish within the test's timeout: no tolerance is ever met, and the
// iteration cap is beyond reach. Only the signal can end it.
const endless = { tolNats: 1e-300, gradTol: 1e-300, maxIterations: 1e9, bottleneckIterations: 1e9 };

describe('headBound with a signal', () => {
  it('aborted while it solves: rejects with the signal (an AbortError), and the model still works', async () => {
    const targets = await synthesizeTargets(model, { kind: 'vanilla', entropyBits: [1, 3, 5, 7] });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    await expect(headBound(model, targets, { ...endless, signal: ctl.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    // the solve is over: the next call on the model runs and finishes
    const [r] = await headBound(model, targets, { targetIds: ['a', 'b', 'c', 'd'] });
    expect(r.targetId).toBe('a');
    expect(r.headBoundNats).toBeGreaterThanOrEqual(0);
    targets.dispose();
  }, 60_000);

  it('aborted before it starts: rejects with the reason given, nothing solved', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('stop here'));
    const uniform = new Float32Array(model.info.vocabSize).fill(1 / model.info.vocabSize);
    await expect(headBound(model, uniform, { signal: ctl.signal })).rejects.toThrow('stop here');
  });

  it('headBoundOf (a head as arrays) stops the same way; a signal that is not one is refused', async () => {
    const V = 50;
    const d = 8;
    const W = Float32Array.from({ length: V * d }, (_, i) => Math.sin(i * 12.9898) * 0.5);
    const targets = new Float32Array(V).fill(1 / V);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const head = { W, vocab: V, hidden: d, norm: 'rmsnorm' as const, gamma: new Float32Array(d).fill(1) };
    await expect(headBoundOf(head, targets, { ...endless, signal: ctl.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    await expect(headBound(model, targets, { signal: 'stop' as never })).rejects.toThrow(
      /signal: must be an AbortSignal \(new AbortController\(\)\.signal\), got 'stop'/,
    );
  }, 60_000);
});

describe('a sweep interrupted during its head bound', () => {
  it('stops there: exit 130, no bound finished, no journal left', async () => {
    const dir = tmp();
    // random:demo's head (50,257 × 128) and a fine entropy grid: a bound of many seconds.
    const child = spawn(
      process.execPath,
      [cli, 'sweep', '-m', 'random:demo', '--entropy', '0:max:0.05', '--inits', '1', '-o', 'r.arrow', '--no-figures'],
      { cwd: dir },
    );
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      if (!sent && stderr.includes('computing the head bound of')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((done) => child.on('exit', done));
    expect(sent, stderr).toBe(true);
    expect(code, stderr).toBe(130);
    // the bound did not run to its end (it logs its time when it does)
    expect(stderr).not.toMatch(/head bound of \d+ targets in/);
    expect(stderr).toMatch(/interrupted before the first row finished; nothing was kept/);
    expect(readdirSync(dir)).toEqual([]);
  }, 300_000);
});
