// What crosses into C++ arrives whole: every field of the model config reaches the C++ struct
// with its value (NativeModel.config() echoes the struct), a missing or unknown field is an error
// naming it, the tuner takes every setting explicitly, and the stop reasons are the native enum's.
import { describe, expect, it } from 'vitest';

import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { MODEL_CONFIG_FIELDS, type NativeLoadSpec, type NativeModelConfig } from '../lib/native/types-model.js';
import type { NativeTunerOptions } from '../lib/native/types-tuner.js';
import { STOP_REASONS as RESULT_STOP_REASONS } from '../lib/results/index.js';
import { STUDY_DEFAULTS } from '../lib/spec/defaults.js';
import { NATIVE_STOP_REASONS, STOP_REASONS } from '../lib/tune/stop-reasons.js';

const FIELDS = Object.keys(MODEL_CONFIG_FIELDS) as (keyof typeof MODEL_CONFIG_FIELDS)[];
const load = (config: unknown) =>
  native().loadModel({ config: config as NativeModelConfig, device: 'cpu', dtype: 'float32', seed: 1 });

/** Every field echoed as given; ropeScaling's given fields too (absent: the struct's 'none'). */
async function expectEcho(config: NativeModelConfig): Promise<void> {
  const m = await load(config);
  try {
    const echo = m.config();
    expect(Object.keys(echo).sort()).toEqual([...FIELDS, 'ropeScaling'].sort());
    for (const key of FIELDS) expect(echo[key], key).toEqual(config[key]);
    expect(echo.ropeScaling).toMatchObject(config.ropeScaling ?? { type: 'none', factor: 1 });
  } finally {
    m.dispose();
  }
}

describe('the model config across the boundary', () => {
  it.each(['micro', 'tiny-gpt2', 'tiny-llama3', 'tiny-qwen2.5', 'tiny-falcon'])(
    'random:%s: every field reaches the C++ struct',
    async (preset) => {
      const model = await loadModel(`random:${preset}`, { tokenizer: false });
      try {
        await expectEcho(model.info.config);
      } finally {
        model.dispose();
      }
    },
  );

  it('every field with a value no preset has (each bool flipped, every number distinct)', async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    const base = model.info.config;
    model.dispose();
    const config: NativeModelConfig = {
      ...base,
      maxPositions: 77,
      intermediateSize: 96,
      normEps: 3.25e-6,
      ropeTheta: 12345.5,
      initStd: 0.0375,
      blockNorms: base.blockNorms === 1 ? 2 : 1,
      qkvLayout: 'falcon-interleaved',
      ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1.5, highFreqFactor: 3.5, originalMaxPositions: 4096 },
    };
    for (const key of FIELDS)
      if (MODEL_CONFIG_FIELDS[key] === 'bool') (config as unknown as Record<string, boolean>)[key] = !base[key];
    const seen = FIELDS.filter((k) => config[k] !== base[k]);
    expect(seen.length).toBeGreaterThan(12);
    await expectEcho(config);
  });

  it('a missing or unknown field is an error naming it', async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    const config = model.info.config;
    model.dispose();
    for (const key of FIELDS) {
      const { [key]: _, ...rest } = config;
      expect(() => load(rest), key).toThrow(`loadModel: config.${key} is missing`);
    }
    expect(() => load({ ...config, headDims: 16 })).toThrow('loadModel: config.headDims is not a known field');
    expect(() => load({ ...config, ropeScaling: { type: 'linear', factor: 2, scale: 1 } })).toThrow(
      'loadModel: config.ropeScaling.scale is not a known field',
    );
    expect(() => load({ ...config, ropeScaling: { type: 'llama3', factor: 2 } })).toThrow(
      'loadModel: config.ropeScaling.lowFreqFactor is missing',
    );
    expect(() => load({ ...config, gatedMlp: 1 })).toThrow('loadModel: config.gatedMlp must be true or false');
  });

  it('device and dtype are required: the native side has no defaults of its own', async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    const config = model.info.config;
    model.dispose();
    const spec = { config, device: 'cpu', dtype: 'float32' as const, seed: 1 };
    for (const key of ['device', 'dtype'] as const) {
      const { [key]: _, ...rest } = spec;
      expect(() => native().loadModel(rest as NativeLoadSpec), key).toThrow(`loadModel: spec.${key} is missing`);
    }
    expect(() => native().loadModel({ ...spec, device: 3 } as unknown as NativeLoadSpec)).toThrow(
      'loadModel: spec.device must be a string',
    );
    expect(() => native().loadModel({ ...spec, devices: 'cpu' } as NativeLoadSpec)).toThrow(
      'loadModel: spec.devices is not a known field',
    );
    const m = await native().loadModel(spec);
    expect([m.info().device, m.info().dtype]).toEqual(['cpu', 'float32']);
    m.dispose();
  });
});

describe('the tuner takes every setting explicitly', () => {
  it('a missing or unknown setting is an error naming it', async () => {
    const model = await loadModel('random:micro', { tokenizer: false });
    try {
      const { prefixLength, lr, beta1, beta2, eps, weightDecay, candidates, patience, maxEpochs, init } =
        STUDY_DEFAULTS;
      const full: NativeTunerOptions = {
        slots: 2,
        pattern: 'S'.repeat(prefixLength),
        lr,
        beta1,
        beta2,
        eps,
        weightDecay,
        candidates,
        patience,
        maxEpochs,
        init,
        fixedShapes: false,
        cudaGraph: false,
        prefixCache: true,
        stopStalled: true,
      };
      native().createTuner(model.native, full).dispose();
      for (const key of Object.keys(full)) {
        const { [key as keyof NativeTunerOptions]: _, ...rest } = full;
        expect(() => native().createTuner(model.native, rest as NativeTunerOptions), key).toThrow(
          `NativeTuner: options.${key} is missing`,
        );
      }
      expect(() => native().createTuner(model.native, { ...full, learningRate: 0.1 } as NativeTunerOptions)).toThrow(
        'NativeTuner: options.learningRate is not a known field',
      );
      expect(() => native().createTuner(model.native, { ...full, banned: Int32Array.from([3, 1000]) })).toThrow(
        'banned token id 1000 is outside the vocabulary [0, 1000)',
      );
      expect(() => native().createTuner(model.native, { ...full, contextBefore: Int32Array.from([-1]) })).toThrow(
        'contextBefore token id -1 is outside the vocabulary',
      );
    } finally {
      model.dispose();
    }
  });
});

describe('stop reasons', () => {
  it('are the native enum, in its order, with aborted after it', () => {
    expect(native().stopReasons()).toEqual([...NATIVE_STOP_REASONS]);
    expect(STOP_REASONS).toEqual([...native().stopReasons(), 'aborted']);
    expect(RESULT_STOP_REASONS).toEqual(STOP_REASONS.filter((r) => r !== 'running'));
  });
});
