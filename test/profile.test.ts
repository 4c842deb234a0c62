// The addon's op observer (native/addon/profile_ops.cc, bench-only): it sees the tuner's ops on
// its worker threads, tells forward from backward from no-grad work, and refuses misuse.
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import type { BenchAddon, ProfileAddon } from '../lib/native/types-bench.js';
import { tune } from '../lib/tune/index.js';

const addon = () => native() as unknown as ProfileAddon;

describe('profileStart / profileStop', () => {
  it("records a tune() epoch's ops by phase, with self time within total time", async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    const V = model.info.vocabSize;
    const targets = new Float32Array(4 * V).fill(1 / V);
    addon().profileStart();
    let profile: ReturnType<ProfileAddon['profileStop']>;
    try {
      await tune(model, { targets, inits: 1, prefixLength: 3, maxEpochs: 2, patience: 2, batchSize: 4, ban: 'none' });
    } finally {
      profile = addon().profileStop();
    }
    model.dispose();
    const phases = new Set(profile.ops.map((o) => o.phase));
    expect(phases).toEqual(new Set(['forward', 'backward', 'other']));
    const gemm = profile.ops.filter((o) => /^aten::(addmm|mm)$/.test(o.name));
    expect(gemm.some((o) => o.phase === 'forward')).toBe(true);
    expect(gemm.some((o) => o.phase === 'backward')).toBe(true);
    for (const o of profile.ops) {
      expect(o.calls).toBeGreaterThan(0);
      expect(o.selfSeconds).toBeGreaterThanOrEqual(0);
      expect(o.selfSeconds).toBeLessThanOrEqual(o.totalSeconds + 1e-9);
    }
    const self = profile.ops.reduce((a, o) => a + o.selfSeconds, 0);
    // Self times add up to the time inside outermost ops (each op's time is counted once).
    expect(self).toBeCloseTo(profile.opSeconds, 3);
    expect(profile.ops.map((o) => o.selfSeconds)).toEqual(
      [...profile.ops.map((o) => o.selfSeconds)].sort((a, b) => b - a),
    );
  });

  it('refuses a stop without a start, a second start, and a syncCuda that is not a boolean', () => {
    expect(() => addon().profileStop()).toThrow(/no profile is running/);
    addon().profileStart();
    expect(() => addon().profileStart()).toThrow(/already running/);
    expect(addon().profileStop().ops).toEqual([]);
    expect(() => addon().profileStart({ syncCuda: 'yes' as unknown as boolean })).toThrow(/syncCuda must be a boolean/);
    expect(() => addon().profileStop()).toThrow(/no profile is running/);
  });
});

describe('copySeconds (the bandwidth yardstick a GPU profile sets byte floors by)', () => {
  const bench = () => native() as unknown as BenchAddon;

  it('times a copy between two buffers: more bytes take longer', async () => {
    const small = await bench().copySeconds({ bytes: 1 << 16, device: 'cpu', reps: 20 });
    const large = await bench().copySeconds({ bytes: 1 << 26, device: 'cpu', reps: 3 });
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
    // Some GB/s, as any memory moves: not a unit slip of 1,000 either way.
    expect((2 * (1 << 26)) / large / 1e9).toBeGreaterThan(0.05);
    expect((2 * (1 << 26)) / large / 1e9).toBeLessThan(2000);
  });

  it('refuses a size or count it cannot time', () => {
    expect(() => bench().copySeconds({ bytes: 2, device: 'cpu' })).toThrow(/bytes must be at least 4/);
    expect(() => bench().copySeconds({ bytes: 1024, device: 'cpu', reps: 0 })).toThrow(/reps at least 1/);
  });
});
