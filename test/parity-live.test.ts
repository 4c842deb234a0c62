// Live parity against Python transformers itself: tiny random configs of every family (and the
// options the fixed fixtures do not cover — Llama 3 rope scaling, Falcon's new decoder
// architecture and sequential blocks, attention/MLP biases, untied heads, GPT-2's inverse layer
// scaling) are built and run in Python, saved as safetensors, then loaded here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { loadModel } from '../lib/index.js';
import { readGolden, relError } from './helpers/golden.js';
import { findPython } from './helpers/python.js';

const python = findPython(['torch', 'transformers', 'safetensors']);
if (!python)
  console.warn(
    'NOTICE: parity-live skipped: no Python with torch + transformers + safetensors (set DISTPROMPT_PYTHON)',
  );

describe.skipIf(!python)('live parity with Python transformers', () => {
  const out = mkdtempSync(join(tmpdir(), 'distprompt-live-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const r = python
    ? spawnSync(python, [join(import.meta.dirname, 'python', 'live_parity.py'), out], {
        encoding: 'utf8',
        timeout: 300_000,
      })
    : undefined;
  const cases = r?.status === 0 ? readdirSync(out) : [];

  it('the Python side built its cases', () => {
    expect(r?.status, r?.stderr).toBe(0);
    expect(cases.length).toBeGreaterThanOrEqual(7);
  });

  it.each(cases)('%s: logits, hidden state, KL and embedding gradient match', async (name) => {
    const dir = join(out, name);
    const g = readGolden(join(dir, 'golden.safetensors'));
    const [rows, positions] = g.input_ids.shape;
    const model = await loadModel(dir, { tokenizer: false });
    try {
      const embeds = g.inputs_embeds.f32!;
      expect(relError(await model.hidden({ embeds, rows, positions }), g.hidden_last.f32!)).toBeLessThan(1e-4);
      expect(relError(await model.logits({ embeds, rows, positions }), g.logits_embeds.f32!)).toBeLessThan(1e-4);
      expect(relError(await model.logits({ ids: g.input_ids.i32!, rows, positions }), g.logits_ids.f32!)).toBeLessThan(
        1e-4,
      );
      const { klNats, gradEmbeds } = await model.klGradient({ embeds, rows, positions, target: g.target.f32! });
      expect(relError(klNats, g.kl.f32!)).toBeLessThan(1e-4);
      expect(relError(gradEmbeds, g.grad_embeds.f32!)).toBeLessThan(1e-4);
    } finally {
      model.dispose();
    }
  });
});
