// A model's load stopped midway: the native build checks a cancel flag before each tensor, which
// an AbortSignal (loadModel's `signal`) or the process's exit raises, so an 8B build given up stops
// within one tensor rather than after reading or drawing every one. The abort is made at a known
// moment: just after the native build was queued on the addon's pool, by a call through to it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { loadModel, ModelConfigError, native } from '../lib/index.js';
import { describeModel } from '../lib/model/load.js';
import type { NativeLoadSpec, NativeModel } from '../lib/native/types-model.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('load-cancel');
const addon = native();
const build = addon.loadModel.bind(addon);
afterEach(() => {
  addon.loadModel = build;
});

/** The native build, as loadModel calls it, with `controller` aborted once the build is queued. */
function abortOnceQueued(controller: AbortController): { specs: NativeLoadSpec[] } {
  const seen = { specs: [] as NativeLoadSpec[] };
  addon.loadModel = (spec: NativeLoadSpec): Promise<NativeModel> => {
    seen.specs.push(spec);
    const queued = build(spec);
    controller.abort();
    return queued;
  };
  return seen;
}

describe('the native build', () => {
  it('given a raised cancel flag, stops before its first tensor; given a lowered one, builds', async () => {
    const { config } = await describeModel('random:tiny-gpt2');
    const flag = new addon.CancelFlag();
    const whole = await build({ config, device: 'cpu', dtype: 'float32', seed: 0, cancel: flag });
    expect(whole.info().parameters).toBeGreaterThan(0);
    whole.dispose();
    flag.cancel();
    await expect(build({ config, device: 'cpu', dtype: 'float32', seed: 0, cancel: flag })).rejects.toThrow(
      /model load cancelled/,
    );
  });
});

describe("loadModel's signal", () => {
  it('aborted while the native build runs: the load rejects with an AbortError, no model', async () => {
    const controller = new AbortController();
    const seen = abortOnceQueued(controller);
    const load = loadModel('random:gpt2', { signal: controller.signal });
    await expect(load).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.specs).toHaveLength(1);
    expect(seen.specs[0].cancel?.cancelled).toBe(true);
  });

  it('aborted with a reason: the load rejects with that reason', async () => {
    const controller = new AbortController();
    const reason = new Error('the user gave up');
    addon.loadModel = (spec) => {
      const queued = build(spec);
      controller.abort(reason);
      return queued;
    };
    await expect(loadModel('random:gpt2', { signal: controller.signal })).rejects.toBe(reason);
  });

  it('aborted before the call: rejects before anything is read or built', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen = abortOnceQueued(new AbortController());
    await expect(loadModel('random:gpt2', { signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(seen.specs).toEqual([]);
  });

  it('not an AbortSignal: refused, naming it', async () => {
    await expect(loadModel('random:micro', { signal: 'stop' as unknown as AbortSignal })).rejects.toThrow(
      new ModelConfigError("loadModel: signal must be an AbortSignal, got 'stop'"),
    );
  });
});

describe('a sweep whose signal aborts while its model loads', () => {
  it('ends as interrupted with no rows and no file, not as a failure', async () => {
    const dir = tmp();
    const controller = new AbortController();
    abortOnceQueued(controller);
    const spec = parseSpec({
      model: 'random:gpt2',
      targets: [{ kind: 'vanilla', entropyBits: [1, 3], method: 'temperature' }],
      inits: 1,
      maxEpochs: 2,
      bound: false,
      output: join(dir, 'r.arrow'),
    });
    const s = await runSweep(spec, { figures: false, signal: controller.signal });
    expect(s).toMatchObject({ interrupted: true, rowsRun: 0 });
    expect(existsSync(join(dir, 'r.arrow'))).toBe(false);
  });
});
