import { copyFileSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { CheckpointError, readCheckpoint, readSafetensorsHeader } from '../lib/checkpoint/index.js';
import { f32Layout, safetensorsBytes, writeSafetensors } from './helpers/safetensors-writer.js';
import { scratchDir } from './helpers/cli.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'hf-golden');
const tmp = scratchDir('ckpt');
let n = 0;
const fresh = (name = 'x.safetensors') => {
  const d = join(tmp, String(n++));
  mkdirSync(d);
  return join(d, name);
};

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return { code: (e as CheckpointError).code, message: (e as Error).message };
  }
  throw new Error('expected a CheckpointError');
}

describe('readSafetensorsHeader on real checkpoints', () => {
  it('reads the GPT-2 fixture with absolute offsets that match Python safetensors', async () => {
    const path = join(GOLDEN, 'a_gpt2', 'model.safetensors');
    const f = await readSafetensorsHeader(path);
    const buf = readFileSync(path);
    const headerLen = Number(buf.readBigUInt64LE(0));
    const raw = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
    expect(f.metadata).toEqual(raw.__metadata__);
    expect(f.tensors.length).toBe(Object.keys(raw).length - 1);
    expect(f.fileSize).toBe(buf.length);
    const wte = f.tensors.find((t) => t.name === 'transformer.wte.weight')!;
    expect(wte.dtype).toBe('F32');
    expect(wte.shape).toEqual(raw['transformer.wte.weight'].shape);
    expect(wte.begin).toBe(8 + headerLen + raw['transformer.wte.weight'].data_offsets[0]);
    expect(wte.end).toBe(8 + headerLen + raw['transformer.wte.weight'].data_offsets[1]);
    // The bytes at those offsets are the tensor: first float equals what the file holds there.
    expect(buf.readFloatLE(wte.begin)).toBe(
      new Float32Array(buf.buffer.slice(buf.byteOffset + wte.begin, buf.byteOffset + wte.begin + 4))[0],
    );
    // Sorted and contiguous in this file.
    for (let i = 1; i < f.tensors.length; i++) expect(f.tensors[i].begin).toBeGreaterThanOrEqual(f.tensors[i - 1].end);
  });

  it('reads a BF16 checkpoint', async () => {
    const f = await readSafetensorsHeader(join(GOLDEN, 'g_llama_gqa_bf16', 'model.safetensors'));
    expect(new Set(f.tensors.map((t) => t.dtype))).toEqual(new Set(['BF16']));
    for (const t of f.tensors) expect(t.end - t.begin).toBe(t.shape.reduce((a, b) => a * b, 1) * 2);
  });

  it('accepts F16 and empty tensors', async () => {
    const p = fresh();
    writeSafetensors(
      p,
      {
        a: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
        e: { dtype: 'F32', shape: [0, 4], data_offsets: [6, 6] },
      },
      6,
    );
    const f = await readSafetensorsHeader(p);
    expect(f.tensors.map((t) => [t.name, t.dtype, t.end - t.begin])).toEqual([
      ['a', 'F16', 6],
      ['e', 'F32', 0],
    ]);
  });
});

describe('readSafetensorsHeader on bad files', () => {
  const cases: [string, () => string, string, RegExp][] = [
    [
      'empty file',
      () => {
        const p = fresh();
        writeFileSync(p, Buffer.alloc(0));
        return p;
      },
      'truncated',
      /0 bytes/,
    ],
    [
      '5-byte file',
      () => {
        const p = fresh();
        writeFileSync(p, Buffer.alloc(5));
        return p;
      },
      'truncated',
      /shorter than/,
    ],
    [
      'header length past EOF',
      () => {
        const p = fresh();
        writeSafetensors(p, {}, 0, { headerLength: 1000n });
        return p;
      },
      'header-past-eof',
      /1000/,
    ],
    [
      'huge header length',
      () => {
        const p = fresh();
        writeSafetensors(p, {}, 0, { headerLength: 2n ** 63n });
        return p;
      },
      'header-past-eof',
      /past the end/,
    ],
    [
      'truncated real checkpoint',
      () => {
        const p = fresh();
        const b = readFileSync(join(GOLDEN, 'a_gpt2', 'model.safetensors'));
        writeFileSync(p, b.subarray(0, b.length - 100));
        return p;
      },
      'out-of-bounds',
      /past the .*data section/,
    ],
    [
      'checkpoint cut inside its header',
      () => {
        const p = fresh();
        writeFileSync(p, readFileSync(join(GOLDEN, 'a_gpt2', 'model.safetensors')).subarray(0, 500));
        return p;
      },
      'header-past-eof',
      /truncated/,
    ],
    [
      'header not UTF-8',
      () => {
        const p = fresh();
        const b = safetensorsBytes('{"a":1}', 0);
        b[9] = 0xff;
        writeFileSync(p, b);
        return p;
      },
      'bad-json',
      /UTF-8/,
    ],
    [
      'header not JSON',
      () => {
        const p = fresh();
        writeSafetensors(p, '{"a": [1, 2', 0);
        return p;
      },
      'bad-json',
      /not valid JSON/,
    ],
    [
      'header a JSON array',
      () => {
        const p = fresh();
        writeSafetensors(p, '[1,2]', 0);
        return p;
      },
      'bad-json',
      /not an object/,
    ],
    [
      'entry not an object',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: 3 }, 0);
        return p;
      },
      'bad-entry',
      /'w'/,
    ],
    [
      'shape not integers',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [2.5], data_offsets: [0, 10] } }, 10);
        return p;
      },
      'bad-entry',
      /shape/,
    ],
    [
      'negative shape',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4);
        return p;
      },
      'bad-entry',
      /shape/,
    ],
    [
      'offsets missing',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [1] } }, 4);
        return p;
      },
      'bad-entry',
      /data_offsets/,
    ],
    [
      'end before begin',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8);
        return p;
      },
      'bad-entry',
      /before begin/,
    ],
    [
      'unknown dtype',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'Q4_K', shape: [2], data_offsets: [0, 16] } }, 16);
        return p;
      },
      'unknown-dtype',
      /unknown dtype 'Q4_K' for tensor 'w'/,
    ],
    [
      'wrong byte length',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 24);
        return p;
      },
      'byte-length',
      /'w' has shape \[2, 3\] F32 = 24 bytes, but .* 20 bytes/,
    ],
    [
      'overflowing shape',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, 4);
        return p;
      },
      'byte-length',
      /'w'/,
    ],
    [
      'span outside data',
      () => {
        const p = fresh();
        writeSafetensors(p, { w: { dtype: 'F32', shape: [4], data_offsets: [8, 24] } }, 16);
        return p;
      },
      'out-of-bounds',
      /'w'/,
    ],
    [
      'overlapping spans',
      () => {
        const p = fresh();
        writeSafetensors(
          p,
          {
            a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
            b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] },
          },
          20,
        );
        return p;
      },
      'overlap',
      /'b' .* overlaps tensor 'a'/,
    ],
    [
      'bad metadata',
      () => {
        const p = fresh();
        writeSafetensors(p, { __metadata__: { format: 3 } }, 0);
        return p;
      },
      'bad-entry',
      /__metadata__/,
    ],
  ];
  for (const [what, make, code, message] of cases) {
    it(`${what} → ${code}`, async () => {
      const p = make();
      const e = await codeOf(readSafetensorsHeader(p));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.message).toContain(p); // names the file
    });
  }

  it('missing file → missing-file', async () => {
    expect((await codeOf(readSafetensorsHeader(join(tmp, 'nope.safetensors')))).code).toBe('missing-file');
  });

  it('a folder where the file should be → missing-file naming it (was a bare EISDIR)', async () => {
    const p = join(tmp, `folder-${n++}.safetensors`);
    mkdirSync(p);
    const e = await codeOf(readSafetensorsHeader(p));
    expect(e.code).toBe('missing-file');
    expect(e.message).toBe(`${p}: is a folder (or another non-file), not a safetensors file`);
  });
});

describe('readCheckpoint', () => {
  it('loads a single-file checkpoint directory', async () => {
    const c = await readCheckpoint(join(GOLDEN, 'a_gpt2'));
    expect((c.config as { model_type: string }).model_type).toBe('gpt2');
    expect(c.files).toHaveLength(1);
    expect(c.tensorNames.has('transformer.wte.weight')).toBe(true);
    expect(c.tensorNames.size).toBe(c.files[0].tensors.length);
  });

  it('loads a sharded checkpoint and finds every weight_map tensor in its shard', async () => {
    const dir = join(GOLDEN, 'g_gpt2_sharded');
    const c = await readCheckpoint(dir);
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    expect(c.files.map((f) => f.path.split('/').pop()).sort()).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect([...c.tensorNames].sort()).toEqual(Object.keys(index.weight_map).sort());
    for (const f of c.files) for (const t of f.tensors) expect(f.path.endsWith(index.weight_map[t.name])).toBe(true);
  });

  function shardedCopy(): string {
    const src = join(GOLDEN, 'g_gpt2_sharded');
    const dir = join(tmp, `sharded-${n++}`);
    mkdirSync(dir);
    for (const f of [
      'config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ])
      copyFileSync(join(src, f), join(dir, f));
    return dir;
  }

  it('missing shard → missing-file naming the shard', async () => {
    const dir = shardedCopy();
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    const e = await codeOf(readCheckpoint(dir));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('model-00002-of-00002.safetensors');
  });

  it('a weight_map tensor absent from its shard → missing-tensor', async () => {
    const dir = shardedCopy();
    const p = join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(p, 'utf8'));
    index.weight_map['transformer.h.9.mlp.c_fc.weight'] = 'model-00001-of-00002.safetensors';
    writeFileSync(p, JSON.stringify(index));
    const e = await codeOf(readCheckpoint(dir));
    expect(e.code).toBe('missing-tensor');
    expect(e.message).toContain('transformer.h.9.mlp.c_fc.weight');
  });

  it('a tensor stored in two shards → duplicate-tensor', async () => {
    const dir = join(tmp, `dup-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"model_type":"gpt2"}');
    const a = f32Layout({ w: [2], v: [3] });
    const b = f32Layout({ w: [2], u: [1] });
    writeSafetensors(join(dir, 'a.safetensors'), a.header, a.dataBytes);
    writeSafetensors(join(dir, 'b.safetensors'), b.header, b.dataBytes);
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { w: 'a.safetensors', v: 'a.safetensors', u: 'b.safetensors' } }),
    );
    const e = await codeOf(readCheckpoint(dir));
    expect(e.code).toBe('duplicate-tensor');
    expect(e.message).toMatch(/'w'/);
  });

  it('a shard path escaping the directory → bad-index', async () => {
    const dir = shardedCopy();
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { w: '../../etc/passwd' } }));
    expect((await codeOf(readCheckpoint(dir))).code).toBe('bad-index');
  });

  it('missing or broken config.json', async () => {
    const dir = shardedCopy();
    rmSync(join(dir, 'config.json'));
    const e = await codeOf(readCheckpoint(dir));
    expect(e.code).toBe('missing-file');
    expect(e.message).toContain('config.json');
    writeFileSync(join(dir, 'config.json'), '{ "model_type": ');
    expect((await codeOf(readCheckpoint(dir))).code).toBe('bad-config');
  });

  it('refuses pickle-only directories with conversion advice, without reading them', async () => {
    const dir = join(tmp, `pickle-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"model_type":"gpt2"}');
    // Not even a valid pickle: proves the file is never opened as one.
    writeFileSync(join(dir, 'pytorch_model.bin'), 'not a pickle');
    const e = await codeOf(readCheckpoint(dir));
    expect(e.code).toBe('pickle');
    expect(e.message).toContain('pytorch_model.bin');
    expect(e.message).toContain('safe_serialization=True');
  });

  it('no weights at all, not a directory, no directory', async () => {
    const dir = join(tmp, `empty-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{}');
    expect((await codeOf(readCheckpoint(dir))).message).toMatch(/no model\.safetensors/);
    expect((await codeOf(readCheckpoint(join(dir, 'config.json')))).code).toBe('not-a-directory');
    expect((await codeOf(readCheckpoint(join(dir, 'nope')))).code).toBe('missing-file');
  });
});
