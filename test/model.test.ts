// The Model API on real (seeded random and checkpoint) models: info, inputs, errors, disposal,
// and that heavy calls leave the event loop free.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { buildInfo, loadModel, presetNames } from '../lib/index.js';
import { readCheckpoint } from '../lib/checkpoint/index.js';
import { writeSafetensors } from './helpers/safetensors-writer.js';
import { scratchDirs } from './helpers/cli.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'hf-golden');

const tmp = scratchDirs('model');

function tempCopy(name: string): string {
  const dir = tmp();
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(fixtures, name, f), join(dir, f));
  return dir;
}

describe('build', () => {
  it('reports libtorch, threads and devices', () => {
    const b = buildInfo();
    expect(b.torchVersion).toMatch(/^2\./);
    expect(b.threads).toBeGreaterThanOrEqual(1);
    expect(b.threads).toBeLessThanOrEqual(b.availableCores);
    expect(typeof b.cudaBuild).toBe('boolean');
  });
});

describe('random presets', () => {
  it('lists the study models and small presets', () => {
    for (const p of [
      'gpt2',
      'gpt2-medium',
      'llama-3.2-1b',
      'llama-3-8b',
      'falcon-7b',
      'qwen2.5-0.5b',
      'qwen2.5-1.5b',
      'micro',
      'demo',
    ]) {
      expect(presetNames()).toContain(p);
    }
  });

  it('the same seed gives the same model, another seed another', async () => {
    const ids = Int32Array.from([1, 2, 3, 4, 5]);
    const a = await loadModel('random:micro', { seed: 3 });
    const b = await loadModel('random:micro', { seed: 3 });
    const c = await loadModel('random:micro', { seed: 4 });
    const [la, lb, lc] = await Promise.all([a, b, c].map((m) => m.logits({ ids, rows: 1, positions: 5 })));
    expect(Array.from(la)).toEqual(Array.from(lb));
    expect(Array.from(la)).not.toEqual(Array.from(lc));
    expect(a.info).toMatchObject({
      family: 'gpt2',
      vocabSize: 1000,
      hiddenSize: 32,
      layers: 2,
      device: 'cpu',
      dtype: 'float32',
      source: 'random',
    });
    expect(a.info.identity).toBe(b.info.identity);
    expect(a.info.identity).not.toBe(c.info.identity);
    for (const m of [a, b, c]) m.dispose();
  });

  it('ids and their embeddings give the same logits; bfloat16 stays close to float32', async () => {
    const f32 = await loadModel('random:tiny-llama3', { tokenizer: false });
    const bf16 = await loadModel('random:tiny-llama3', { dtype: 'bfloat16', tokenizer: false });
    const ids = Int32Array.from([10, 20, 30, 40, 50, 60]);
    const embeds = await f32.embed({ ids, rows: 2, positions: 3 });
    const a = await f32.logits({ ids, rows: 2, positions: 3 });
    const b = await f32.logits({ embeds, rows: 2, positions: 3 });
    expect(Array.from(a)).toEqual(Array.from(b));
    const c = await bf16.logits({ ids, rows: 2, positions: 3 });
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - c[i]));
    expect(maxDiff).toBeLessThan(0.05);
    expect(bf16.info.dtype).toBe('bfloat16');
    f32.dispose();
    bf16.dispose();
  });

  it('a long forward runs on a worker thread: the event loop keeps ticking', async () => {
    const m = await loadModel('random:gpt2', { tokenizer: false });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const rows = 48;
    const t0 = performance.now();
    await m.logits({ ids: new Int32Array(rows * 64).fill(11), rows, positions: 64 });
    const ms = performance.now() - t0;
    clearInterval(timer);
    // A blocked loop would see no tick at all during the call.
    expect(ticks).toBeGreaterThan(Math.min(3, ms / 20));
    m.dispose();
  });
});

describe('bad input', () => {
  it('names the problem', async () => {
    await expect(loadModel('random:nope')).rejects.toThrow(/unknown preset 'random:nope'.*random:gpt2/);
    await expect(loadModel('random:micro', { device: 'tpu' })).rejects.toThrow(
      /device 'tpu' is not 'cpu', 'cuda' or 'cuda:N'/,
    );
    await expect(loadModel('random:micro', { dtype: 'int8' as never })).rejects.toThrow(/dtype 'int8'/);
    if (!buildInfo().cudaBuild) {
      await expect(loadModel('random:micro', { device: 'cuda' })).rejects.toThrow(/CPU-only libtorch/);
      // A repo id is refused for the device before the hub is asked (it is not in this empty cache).
      const env = { HF_HUB_CACHE: process.env.HF_HUB_CACHE, HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE };
      process.env.HF_HUB_CACHE = mkdtempSync(join(tmpdir(), 'distprompt-empty-hub-'));
      process.env.HF_HUB_OFFLINE = '1';
      try {
        await expect(loadModel('org/not-cached', { device: 'cuda' })).rejects.toThrow(
          /loading org\/not-cached: device 'cuda' asked for.*CPU-only libtorch/,
        );
        await expect(loadModel('org/not-cached')).rejects.toThrow(/not \(completely\) in the Hugging Face cache/);
      } finally {
        rmSync(process.env.HF_HUB_CACHE, { recursive: true, force: true });
        for (const [k, v] of Object.entries(env))
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
    } else if (buildInfo().cudaDevices < 8) {
      await expect(loadModel('random:micro', { device: 'cuda:7' })).rejects.toThrow(/is not there/);
    }
    const m = await loadModel('random:micro');
    await expect(m.logits({ ids: Int32Array.from([1, 2]), rows: 1, positions: 3 })).rejects.toThrow(
      /ids has 2 values; expected rows×positions = 3/,
    );
    await expect(m.logits({ ids: Int32Array.from([1, 5000]), rows: 1, positions: 2 })).rejects.toThrow(
      /token id 5000 in ids is outside the vocabulary/,
    );
    await expect(
      m.klGradient({ embeds: new Float32Array(32), rows: 1, positions: 1, target: new Float32Array(5) }),
    ).rejects.toThrow(/target has 5 values/);
    // A NaN or negative target is refused as tune() refuses it (it used to give a KL of 0, or far below).
    const nan = new Float32Array(1000).fill(0.001);
    nan[7] = NaN;
    await expect(m.klGradient({ embeds: new Float32Array(32), rows: 1, positions: 1, target: nan })).rejects.toThrow(
      'target 0 is not a distribution: value NaN at token 7 is not finite',
    );
    const negative = new Float32Array(1000);
    negative[0] = 1.5;
    negative[1] = -0.5;
    await expect(
      m.klGradient({ embeds: new Float32Array(32), rows: 1, positions: 1, target: negative }),
    ).rejects.toThrow('target 0 is not a distribution: value -0.5 at token 1 is negative');
    // A misspelt field is refused, not dropped (the default positions would run).
    await expect(
      m.logits({ ids: Int32Array.from([1, 2]), rows: 1, positions: 2, positionIDs: Int32Array.from([3, 4]) } as never),
    ).rejects.toThrow("logits: unknown field 'positionIDs' (known: rows, positions, ids, embeds, positionIds)");
    await expect(
      m.klGradient({ embeds: new Float32Array(32), rows: 1, positions: 1, targets: nan } as never),
    ).rejects.toThrow(/klGradient: unknown field 'targets' \(known: .*target\)/);
    // The position id rejected is the one named.
    await expect(
      m.logits({ ids: Int32Array.from([1, 2]), rows: 1, positions: 2, positionIds: Int32Array.from([-5, 1]) }),
    ).rejects.toThrow(/position id -5 is outside the learned table \[0, 64\)/);
    await expect(
      m.logits({ ids: Int32Array.from([1, 2]), rows: 1, positions: 2, positionIds: Int32Array.from([0, 99]) }),
    ).rejects.toThrow(/position id 99 is outside/);
    m.dispose();
    await expect(m.logits({ ids: Int32Array.from([1]), rows: 1, positions: 1 })).rejects.toThrow(/disposed/);
  });

  it('an unknown model_type lists what is supported', async () => {
    const dir = tempCopy('a_gpt2');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'mamba' }));
    await expect(loadModel(dir)).rejects.toThrow(
      /model_type 'mamba' is not supported \(supported: gpt2, llama, qwen2, falcon\)/,
    );
  });

  it('a checkpoint missing a tensor the config needs names it', async () => {
    const dir = tempCopy('a_gpt2');
    const ckpt = await readCheckpoint(dir);
    // Rewrite the file without the last layer's MLP projection.
    const src = readFileSync(join(dir, 'model.safetensors'));
    const kept = ckpt.files[0].tensors.filter((t) => t.name !== 'transformer.h.1.mlp.c_proj.weight');
    const header: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let at = 0;
    for (const t of kept) {
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + (t.end - t.begin)] };
      chunks.push(src.subarray(t.begin, t.end));
      at += t.end - t.begin;
    }
    writeSafetensors(join(dir, 'model.safetensors'), header, 0);
    writeFileSync(
      join(dir, 'model.safetensors'),
      Buffer.concat([readFileSync(join(dir, 'model.safetensors')), ...chunks]),
    );
    await expect(loadModel(dir)).rejects.toThrow(/missing tensor 'transformer.h.1.mlp.c_proj.weight'/);
  });

  it('a tensor whose shape disagrees with the config names both', async () => {
    const dir = tempCopy('b_llama_gqa');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 300 }));
    await expect(loadModel(dir)).rejects.toThrow(
      /gate_proj.weight' .* has shape \[256, 128\]; the config implies \[300, 128\]/,
    );
  });
});
