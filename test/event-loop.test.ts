// A program embedding distprompt (a server, a notebook kernel) keeps its event loop: after the
// addon's first load, a whole sweep (target synthesis, tuning, the results file, the figures), a
// large one from its plan through its journal appends to its end, and a direct synthesizeTargets
// call never hold it for 50 ms.
//
// On a shared machine the loop also stalls when the OS runs something else, which says nothing
// about distprompt. So an idle control thread watches its own loop at the same time: a stall of
// the caller's loop counts only for the part of it during which the control thread ran freely.
// monitorEventLoopDelay's figures are printed as well; a run that misses is run again (three in all).
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

import { loadModel, synthesizeTargets } from '../lib/index.js';
import type { SynthesisRequest } from '../lib/targets/synthesize.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('loop');

const LIMIT_MS = 50;
const TICK_MS = 5;

/** 157 targets over 50,257 tokens: 32 MB made, checked and uploaded. */
const SYNTHESIS_REQUEST: SynthesisRequest = {
  kind: 'vanilla',
  entropyBits: Array.from({ length: 157 }, (_, i) => i / 10),
  method: 'temperature',
};

type Span = [number, number];

/** Records every gap between ticks longer than 15 ms, in absolute milliseconds. */
const WATCH = `
const { parentPort } = require('node:worker_threads');
const now = () => performance.timeOrigin + performance.now();
const stalls = [];
let last = now();
const timer = setInterval(() => { const t = now(); if (t - last > 15) stalls.push([last, t]); last = t; }, ${TICK_MS});
parentPort.once('message', () => { clearInterval(timer); parentPort.postMessage(stalls); });
`;

function watchHere(): () => Span[] {
  const now = () => performance.timeOrigin + performance.now();
  const stalls: Span[] = [];
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    if (t - last > 15) stalls.push([last, t]);
    last = t;
  }, TICK_MS);
  return () => {
    clearInterval(timer);
    return stalls;
  };
}

/** The longest stretch of a caller's stall during which the control thread was not stalled too. */
function longestUnexplained(caller: Span[], control: Span[]): number {
  let worst = 0;
  for (const [s, e] of caller) {
    let free = 0;
    let at = s;
    for (const [cs, ce] of control.filter(([cs, ce]) => ce > s && cs < e).sort((a, b) => a[0] - b[0])) {
      if (cs > at) free = Math.max(free, cs - at);
      at = Math.max(at, ce);
    }
    free = Math.max(free, e - at);
    worst = Math.max(worst, free - TICK_MS);
  }
  return worst;
}

/** The caller's and the control thread's stalls while `work` runs. */
async function delaysDuring(what: string, attempt: number, work: () => Promise<void>) {
  const control = new Worker(WATCH, { eval: true });
  await new Promise((resolve) => control.once('online', resolve));
  const h = monitorEventLoopDelay({ resolution: 10 });
  const stopHere = watchHere();
  h.enable();
  const t0 = performance.now();
  try {
    await work();
  } finally {
    h.disable();
  }
  const caller = stopHere();
  const controlStalls = await new Promise<Span[]>((resolve) => {
    control.once('message', resolve);
    control.postMessage('stop');
  });
  await control.terminate();
  const ms = (x: number) => Number(x.toFixed(1));
  const longest = (spans: Span[]) => ms(Math.max(0, ...spans.map(([s, e]) => e - s - TICK_MS)));
  const figures = {
    attempt,
    wallMs: Math.round(performance.now() - t0),
    eldMaxMs: ms(h.max / 1e6),
    eldP99Ms: ms(h.percentile(99) / 1e6),
    callerStallMs: longest(caller),
    controlStallMs: longest(controlStalls),
    heldByDistpromptMs: ms(longestUnexplained(caller, controlStalls)),
  };
  console.log(`event loop during ${what}: ${JSON.stringify(figures)}`);
  return figures;
}

/**
 * Runs `measure` again, up to three times in all, while it misses (a busy machine: the OS can
 * deschedule the caller's thread alone), and checks the limit. Code that holds the loop misses
 * every time.
 */
async function expectFreeLoop(measure: (attempt: number) => Promise<{ heldByDistpromptMs: number }>) {
  let run = await measure(1);
  for (let attempt = 2; attempt <= 3 && run.heldByDistpromptMs >= LIMIT_MS; attempt++) run = await measure(attempt);
  expect(run.heldByDistpromptMs).toBeLessThan(LIMIT_MS);
}

async function sweepDelays(attempt: number) {
  // Warm-up: the addon's first load (~300 ms, documented) and the model are not what is measured.
  const model = await loadModel('random:tiny-gpt2');
  const dir = tmp();
  const spec = parseSpec({
    model: 'random:tiny-gpt2',
    targets: [
      { kind: 'vanilla', entropyBits: '0:max:1', method: 'temperature' },
      { kind: 'lm', count: 2, promptLength: 3 },
      { kind: 'shuffled', count: 1, shuffles: 2, promptLength: 3 },
      { kind: 'pos-uniform', tags: ['noun'], n: 20, count: 1 },
    ],
    methods: [{ method: 'soft' }],
    inits: 1,
    maxEpochs: 5,
    // The head bound is a native solve of tens of seconds here; without it the test runs in seconds.
    bound: false,
    output: join(dir, 'results.arrow'),
  });
  try {
    return await delaysDuring('a sweep', attempt, async () => {
      const summary = await runSweep(spec, { model, figures: join(dir, 'figures') });
      expect(summary.rowsRun).toBe(summary.rows);
      expect(summary.figures.length).toBeGreaterThan(0);
    });
  } finally {
    model.dispose();
  }
}

/**
 * A sweep of thousands of one-epoch rows: its plan (every row named and seeded), a journal append
 * of hundreds of rows after every tuner call, and an end as large (the final Arrow file: the
 * journal read back, every row ordered and encoded; the figures) are most of the work.
 */
async function largeSweepDelays(attempt: number) {
  const model = await loadModel('random:micro');
  const dir = tmp();
  const spec = parseSpec({
    model: 'random:micro',
    targets: [{ kind: 'vanilla', entropyBits: '0:max:0.01', method: 'temperature' }],
    methods: [{ method: 'soft' }],
    inits: 4,
    maxEpochs: 1,
    patience: 1,
    bound: false,
    output: join(dir, 'results.arrow'),
  });
  try {
    return await delaysDuring('a 4,000-row sweep', attempt, async () => {
      const summary = await runSweep(spec, { model, figures: join(dir, 'figures') });
      expect(summary.rows).toBeGreaterThan(3900);
      expect(summary.figures.length).toBeGreaterThan(0);
    });
  } finally {
    model.dispose();
  }
}

/** A direct synthesizeTargets call on GPT-2's 50,257-token vocabulary. */
async function synthesisDelays(attempt: number) {
  const model = await loadModel('random:tiny-gpt2');
  try {
    return await delaysDuring('a direct synthesizeTargets call', attempt, async () => {
      const set = await synthesizeTargets(model, SYNTHESIS_REQUEST);
      expect(set.meta.length).toBeGreaterThan(0);
      set.dispose();
    });
  } finally {
    model.dispose();
  }
}

describe('the event loop during a sweep', () => {
  it(`is never held for ${LIMIT_MS} ms after start-up`, async () => {
    await expectFreeLoop(sweepDelays);
  });
  it(`is never held for ${LIMIT_MS} ms by a direct synthesizeTargets call`, async () => {
    await expectFreeLoop(synthesisDelays);
  });
  it(`is never held for ${LIMIT_MS} ms by a large sweep (plan, journal appends, results file, figures)`, async () => {
    await expectFreeLoop(largeSweepDelays);
  });
});
