// Checkpoints as a hostile (or merely unlucky) user hands them over: headers whose offsets,
// keys or length lie, JSON nested to blow the stack, valid files with tensors the model never
// reads, weights of another config, NaN weights, and files that change under a loaded model.
// Every case starts from a real tiny Hugging Face checkpoint copied to a temp dir.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  CheckpointError,
  findNonFinite,
  readCheckpoint,
  readSafetensorsHeader,
  selectTensors,
} from '../lib/checkpoint/index.js';
import { loadModel } from '../lib/index.js';
import { configFromHf } from '../lib/model/config.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { safetensorsBytes, writeSafetensors } from './helpers/safetensors-writer.js';
import { scratchDir } from './helpers/cli.js';

const GOLDEN = join(import.meta.dirname, 'fixtures', 'hf-golden');
const tmp = scratchDir('hostile');

/** A private copy of a fixture's config.json and model.safetensors. */
function copyOf(fixture: string): string {
  const dir = mkdtempSync(join(tmp, `${fixture}-`));
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(GOLDEN, fixture, f), join(dir, f));
  return dir;
}

interface Stored {
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

/** The tensors of a real file, in file order, with their bytes. */
function tensorsOf(path: string): Map<string, Stored> {
  const buf = readFileSync(path);
  const len = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + len).toString('utf8'));
  delete header.__metadata__;
  const out = new Map<string, Stored>();
  const entries = Object.entries(
    header as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>,
  );
  entries.sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  for (const [name, e] of entries) {
    out.set(name, {
      dtype: e.dtype,
      shape: e.shape,
      bytes: Buffer.from(buf.subarray(8 + len + e.data_offsets[0], 8 + len + e.data_offsets[1])),
    });
  }
  return out;
}

/** Writes a well-formed file: the tensors laid end to end in map order. */
function writeTensors(path: string, tensors: Map<string, Stored>): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  const head = safetensorsBytes(header, 0);
  writeFileSync(path, Buffer.concat([head, ...[...tensors.values()].map((t) => t.bytes)]));
}

/** Rewrites a fixture copy's model.safetensors after `edit` changes its tensors. */
function editTensors(dir: string, edit: (t: Map<string, Stored>) => void): void {
  const p = join(dir, 'model.safetensors');
  const t = tensorsOf(p);
  edit(t);
  writeTensors(p, t);
}

/** Rewrites a real file's header JSON (as text) and keeps its data section. */
function editHeaderText(path: string, edit: (json: string) => string, lengthDelta = 0): void {
  const buf = readFileSync(path);
  const len = Number(buf.readBigUInt64LE(0));
  const json = Buffer.from(edit(buf.subarray(8, 8 + len).toString('utf8')), 'utf8');
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length + lengthDelta));
  writeFileSync(path, Buffer.concat([head, json, buf.subarray(8 + len)]));
}

function editConfig(dir: string, edit: (c: Record<string, unknown>) => void): void {
  const p = join(dir, 'config.json');
  const c = JSON.parse(readFileSync(p, 'utf8'));
  edit(c);
  writeFileSync(p, JSON.stringify(c));
}

async function failure(p: Promise<unknown>): Promise<CheckpointError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

const ids = Int32Array.from([1, 2, 3, 4, 5]);

describe('offsets must tile the data section', () => {
  const file = () => join(mkdtempSync(join(tmp, 'tile-')), 'x.safetensors');
  const f32 = (b: number, e: number) => ({ dtype: 'F32', shape: [(e - b) / 4], data_offsets: [b, e] });

  it('a hole between two tensors → gap, naming both', async () => {
    const p = file();
    writeSafetensors(p, { a: f32(0, 8), b: f32(12, 20) }, 20);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('gap');
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/4 bytes no tensor owns after tensor 'a' \[0, 8\), before tensor 'b' \[12, 20\)/);
  });

  it('a first tensor that does not start at 0 → gap', async () => {
    const p = file();
    writeSafetensors(p, { a: f32(4, 12) }, 12);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('gap');
    expect(e.message).toMatch(/at the start of the data section/);
  });

  it('bytes after the last tensor → trailing-data', async () => {
    const p = file();
    writeSafetensors(p, { a: f32(0, 8) }, 12);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('trailing-data');
    expect(e.message).toMatch(/4 bytes at the end belong to no tensor/);
  });

  it('two tensors on the same bytes, or an empty tensor inside another → overlap', async () => {
    const p = file();
    writeSafetensors(p, { a: f32(0, 8), b: f32(0, 8) }, 8);
    expect((await failure(readSafetensorsHeader(p))).code).toBe('overlap');
    writeSafetensors(p, { a: f32(0, 8), e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] } }, 8);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('overlap');
    expect(e.tensor).toBe('e');
  });

  it('tensors listed out of file order still tile once sorted', async () => {
    const p = file();
    writeSafetensors(p, { b: f32(8, 12), e: { dtype: 'F32', shape: [0], data_offsets: [12, 12] }, a: f32(0, 8) }, 12);
    expect((await readSafetensorsHeader(p)).tensors.map((t) => t.name)).toEqual(['a', 'b', 'e']);
  });

  it("a real checkpoint whose tensor aliases another one's bytes is refused by loadModel", async () => {
    const dir = copyOf('a_gpt2');
    // ln_2 pointed at ln_1's bytes: same shape and dtype, so only the tiling can tell.
    editHeaderText(join(dir, 'model.safetensors'), (text) => {
      const h = JSON.parse(text);
      h['transformer.h.0.ln_2.weight'].data_offsets = h['transformer.h.0.ln_1.weight'].data_offsets;
      return JSON.stringify(h);
    });
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('overlap');
    expect(e.message).toContain('transformer.h.0.ln_');
  });
});

describe('duplicate keys and the header length', () => {
  const file = () => join(mkdtempSync(join(tmp, 'keys-')), 'x.safetensors');
  const entry = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';

  it('a tensor named twice → duplicate-key naming it', async () => {
    const p = file();
    writeSafetensors(p, `{"w":${entry},"w":${entry}}`, 4);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('duplicate-key');
    expect(e.message).toMatch(/names tensor 'w' twice/);
    expect(e.message).toContain(p);
  });

  it('a key repeated inside an entry, or spelled with an escape → duplicate-key', async () => {
    const p = file();
    writeSafetensors(p, '{"w":{"dtype":"F16","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('duplicate-key');
    expect(e.message).toMatch(/key 'dtype' twice in 'w'/);
    writeSafetensors(p, `{"w":${entry},"\\u0077":${entry}}`, 4);
    expect((await failure(readSafetensorsHeader(p))).code).toBe('duplicate-key');
  });

  it('the same name in two different entries is no duplicate', async () => {
    const p = file();
    writeSafetensors(
      p,
      `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`,
      8,
    );
    expect((await readSafetensorsHeader(p)).tensors).toHaveLength(2);
  });

  it('space padding after the closing brace is fine (as Hugging Face writes it)', async () => {
    const p = file();
    writeSafetensors(p, `{"w":${entry}}      `, 4);
    expect((await readSafetensorsHeader(p)).tensors[0].begin).toBe(8 + entry.length + 6 + 6);
  });

  it('a header length that runs past the closing brace into the data → header-length', async () => {
    const dir = copyOf('a_gpt2');
    const p = join(dir, 'model.safetensors');
    editHeaderText(p, (t) => t.trimEnd(), 4);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('header-length');
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/does not end at the header JSON's closing brace/);
  });

  it('bytes other than padding inside the header after the JSON → header-length', async () => {
    const p = file();
    writeSafetensors(p, `{"w":${entry}}  xx`, 4);
    expect((await failure(readSafetensorsHeader(p))).code).toBe('header-length');
  });

  it('a header length that stops inside the JSON → bad-json that says so', async () => {
    const dir = copyOf('a_gpt2');
    const p = join(dir, 'model.safetensors');
    editHeaderText(p, (t) => t.trimEnd(), -3);
    const e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('bad-json');
    expect(e.message).toMatch(/never closes/);
  });
});

describe('deeply nested JSON and long values', () => {
  const file = () => join(mkdtempSync(join(tmp, 'deep-')), 'x.safetensors');

  for (const depth of [1_000, 10_000, 1_000_000]) {
    it(`a shape nested ${depth} deep → bad-json naming the file, in a short message`, async () => {
      const p = file();
      writeSafetensors(
        p,
        `{"w":{"dtype":"F32","shape":${'['.repeat(depth)}${']'.repeat(depth)},"data_offsets":[0,4]}}`,
        4,
      );
      const e = await failure(readSafetensorsHeader(p));
      expect(e.code).toBe('bad-json');
      expect(e.message).toContain(p);
      expect(e.message).toMatch(/nests more than 64 levels deep/);
      expect(e.message.length).toBeLessThan(p.length + 200);
    });
  }

  it('a deep config.json → bad-config, not a stack overflow', async () => {
    const dir = copyOf('a_gpt2');
    writeFileSync(join(dir, 'config.json'), `{"model_type":"gpt2","x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    const e = await failure(readCheckpoint(dir));
    expect(e.code).toBe('bad-config');
    expect(e.message).toContain(join(dir, 'config.json'));
  });

  it('huge values are echoed cut to a few dozen characters', async () => {
    const p = file();
    const shape = [...Array.from({ length: 10_000 }, () => 1), -1];
    writeSafetensors(p, { w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, 4);
    let e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('bad-entry');
    expect(e.message).toMatch(/shape \[1,1,1.*…/);
    expect(e.message.length).toBeLessThan(p.length + 200);
    writeSafetensors(p, { w: { dtype: 'Q'.repeat(5000), shape: [1], data_offsets: [0, 4] } }, 4);
    e = await failure(readSafetensorsHeader(p));
    expect(e.code).toBe('unknown-dtype');
    expect(e.message.length).toBeLessThan(p.length + 200);
  });
});

describe('tensors the model never reads', () => {
  const extras = (): [string, Stored][] => [
    // Old GPT-2 checkpoints store the causal mask per layer; newer ones position ids.
    ['transformer.h.0.attn.bias', { dtype: 'BOOL', shape: [1, 1, 4, 4], bytes: Buffer.alloc(16, 1) }],
    ['transformer.h.1.attn.masked_bias', { dtype: 'F64', shape: [], bytes: Buffer.alloc(8) }],
    ['transformer.position_ids', { dtype: 'I64', shape: [1, 8], bytes: Buffer.alloc(64) }],
    ['transformer.h.0.attn.mask_u8', { dtype: 'U8', shape: [3], bytes: Buffer.from([1, 2, 3]) }],
    // Tied: a stored lm_head is the embedding again.
    ['lm_head.weight', { dtype: 'F32', shape: [4], bytes: Buffer.alloc(16) }],
  ];

  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.DISTPROMPT_DEBUG;
  });

  it('are accepted whatever their dtype, change nothing, and are listed at debug level', async () => {
    const plain = await loadModel(join(GOLDEN, 'a_gpt2'), { tokenizer: false });
    const want = await plain.logits({ ids, rows: 1, positions: 5 });
    plain.dispose();

    const dir = copyOf('a_gpt2');
    editTensors(dir, (t) => {
      for (const [name, x] of extras()) t.set(name, x);
    });
    const ckpt = await readCheckpoint(dir);
    const { ignored, files } = selectTensors(ckpt, configFromHf(ckpt.config));
    expect(ignored.sort()).toEqual(
      extras()
        .map(([name]) => name)
        .sort(),
    );
    expect(files[0].tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);

    process.env.DISTPROMPT_DEBUG = '1';
    const logged: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void logged.push(m));
    const m = await loadModel(dir, { tokenizer: false });
    const got = await m.logits({ ids, rows: 1, positions: 5 });
    m.dispose();
    // Same weights; only their alignment in the file moved, which may reorder float sums.
    expect(Math.max(...got.map((x, i) => Math.abs(x - want[i])))).toBeLessThan(1e-5);
    expect(logged.join('\n')).toMatch(/ignoring 5 tensors the model does not read: .*transformer\.position_ids/);
  });

  it('still have their spans checked', async () => {
    const dir = copyOf('a_gpt2');
    editTensors(dir, (t) =>
      t.set('transformer.position_ids', { dtype: 'I64', shape: [1, 8], bytes: Buffer.alloc(60) }),
    );
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('byte-length');
    expect(e.tensor).toBe('transformer.position_ids');
  });

  it('a rotary inv_freq buffer in a Llama checkpoint is ignored', async () => {
    const dir = copyOf('b_llama_gqa');
    editTensors(dir, (t) =>
      t.set('model.layers.0.self_attn.rotary_emb.inv_freq', { dtype: 'F32', shape: [8], bytes: Buffer.alloc(32) }),
    );
    const m = await loadModel(dir, { tokenizer: false });
    expect(m.info.layers).toBeGreaterThan(0);
    m.dispose();
  });

  it('but a weight the model reads in a dtype it cannot load → unsupported-dtype naming it', async () => {
    const dir = copyOf('a_gpt2');
    editTensors(dir, (t) => {
      const w = t.get('transformer.h.0.ln_1.weight')!;
      t.set('transformer.h.0.ln_1.weight', { dtype: 'I32', shape: w.shape, bytes: w.bytes });
    });
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('unsupported-dtype');
    expect(e.message).toMatch(/unsupported dtype I32 for tensor 'transformer.h.0.ln_1.weight'/);
  });
});

describe('a checkpoint that does not match its config', () => {
  it('layers past num_hidden_layers → unexpected-tensor naming them', async () => {
    const dir = copyOf('a_gpt2');
    editConfig(dir, (c) => {
      c.n_layer = 1;
    });
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('unexpected-tensor');
    expect(e.message).toMatch(/'transformer\.h\.1\.[a-z_.0-9]+' \(layer 1; the config has 1\)/);
    expect(e.message).toMatch(/config\.json does not match these weights/);
  });

  it('a bias the config turns off → unexpected-tensor naming it', async () => {
    const dir = copyOf('b_llama_gqa');
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.attention_bias ?? false).toBe(false);
    editTensors(dir, (t) => {
      const q = t.get('model.layers.0.self_attn.q_proj.weight')!;
      t.set('model.layers.0.self_attn.q_proj.bias', {
        dtype: q.dtype,
        shape: [q.shape[0]],
        bytes: Buffer.alloc(q.shape[0] * 4),
      });
    });
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('unexpected-tensor');
    expect(e.tensor).toBe('model.layers.0.self_attn.q_proj.bias');
    expect(e.message).toMatch(/'model\.layers\.0\.self_attn\.q_proj\.bias' \(a weight this config does not use\)/);
  });

  it('a missing weight → missing-tensor, a CheckpointError naming it', async () => {
    const dir = copyOf('d_qwen2');
    editTensors(dir, (t) => t.delete('model.layers.1.self_attn.k_proj.bias'));
    const e = await failure(loadModel(dir, { tokenizer: false }));
    expect(e.code).toBe('missing-tensor');
    expect(e.message).toMatch(/missing tensor 'model\.layers\.1\.self_attn\.k_proj\.bias'/);
  });

  it('NaN and ±Inf are counted in F32, F16 and BF16, odd lengths included, and nothing else is', async () => {
    const p = join(mkdtempSync(join(tmp, 'nan-')), 'x.safetensors');
    const f32 = Buffer.from(new Float32Array([NaN, 1, Infinity, -Infinity, 3.4e38, -0]).buffer);
    const f16 = Buffer.from(new Uint16Array([0x7c00, 0x3c00, 0x7e00, 0x7bff, 0xfc00]).buffer); // Inf, 1, NaN, max, -Inf
    const bf16 = Buffer.from(new Uint16Array([0x7f80, 0x0001, 0xff81, 0x7f7f]).buffer); // Inf, tiny, NaN, max
    const data = Buffer.concat([f32, f16, bf16]);
    const at = [0, f32.length, f32.length + f16.length, data.length];
    const end = (i: number) => 8 + at[i];
    const tensors = [
      { name: 'a', dtype: 'F32' as const, shape: [6], begin: end(0), end: end(1) },
      { name: 'b', dtype: 'F16' as const, shape: [5], begin: end(1), end: end(2) },
      { name: 'c', dtype: 'BF16' as const, shape: [4], begin: end(2), end: end(3) },
    ];
    writeFileSync(p, Buffer.concat([Buffer.alloc(8), data]));
    const found = await findNonFinite([{ path: p, tensors }]);
    expect(found.map((f) => [f.tensor, f.count, f.elements])).toEqual([
      ['a', 3, 6],
      ['b', 3, 5],
      ['c', 2, 4],
    ]);
  });

  it('NaN or Inf weights load with a warning naming the tensor', async () => {
    const dir = copyOf('g_llama_gqa_bf16');
    editTensors(dir, (t) => {
      const w = t.get('model.layers.0.mlp.down_proj.weight')!;
      w.bytes.writeUInt16LE(0x7fc0, 2); // BF16 NaN
      w.bytes.writeUInt16LE(0xff80, 10); // BF16 -Inf
      w.bytes.writeUInt16LE(0x7f7f, 12); // BF16 max: finite
    });
    const warnings: Error[] = [];
    const listen = (w: Error) => void warnings.push(w);
    process.on('warning', listen);
    try {
      const m = await loadModel(dir, { tokenizer: false });
      await new Promise((r) => setImmediate(r));
      m.dispose();
    } finally {
      process.off('warning', listen);
    }
    const ours = warnings.filter((w) => w.name === 'CheckpointWarning');
    expect(ours).toHaveLength(1);
    expect(ours[0].message).toContain(join(dir, 'model.safetensors'));
    expect(ours[0].message).toMatch(/tensor 'model\.layers\.0\.mlp\.down_proj\.weight' \(2 of \d+ values\)/);
  });

  it('a clean checkpoint gives no such warning', async () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => void warnings.push(w);
    process.on('warning', listen);
    try {
      (await loadModel(join(GOLDEN, 'e_falcon7b_style'), { tokenizer: false })).dispose();
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listen);
    }
    expect(warnings.filter((w) => w.name === 'CheckpointWarning')).toEqual([]);
  });
});

describe('a checkpoint file that changes under a loaded model', () => {
  /** Same size, other bytes, a new modification time. */
  function rewrite(path: string): void {
    const before = statSync(path);
    const b = readFileSync(path);
    const len = Number(b.readBigUInt64LE(0));
    for (let i = 8 + len; i < b.length; i++) b[i] ^= 0x5a;
    writeFileSync(path, b);
    // A coarse clock could leave the time as it was: move it on, as a later write would.
    if (statSync(path).mtimeMs === before.mtimeMs) utimesSync(path, new Date(), new Date(before.mtimeMs + 2000));
    expect(statSync(path).size).toBe(before.size);
  }

  it('checkpointChanged names the rewritten file; assertCheckpointUnchanged throws', async () => {
    const dir = copyOf('a_gpt2');
    const m = await loadModel(dir, { tokenizer: false });
    expect(m.checkpointChanged()).toBeNull();
    m.assertCheckpointUnchanged();
    rewrite(join(dir, 'model.safetensors'));
    expect(m.checkpointChanged()).toMatch(new RegExp(`^${join(dir, 'model.safetensors')}: was modified`));
    let thrown: unknown;
    try {
      m.assertCheckpointUnchanged();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CheckpointError);
    expect((thrown as CheckpointError).code).toBe('changed');
    expect((thrown as Error).message).toMatch(/must not change while a model is loaded/);
    m.dispose();
  });

  it('a file truncated, replaced by another (a new download renamed over it) or removed is reported', async () => {
    const dir = copyOf('a_gpt2');
    const p = join(dir, 'model.safetensors');
    const m = await loadModel(dir, { tokenizer: false });
    const size = statSync(p).size;
    // Only stat'ed, never read: the model's weights view this file (a read past its end would fault).
    writeFileSync(p, readFileSync(p).subarray(0, 1000));
    expect(m.checkpointChanged()).toMatch(new RegExp(`changed size \\(${size} → 1000 bytes\\)`));
    copyFileSync(p, `${p}.new`);
    renameSync(`${p}.new`, p);
    expect(m.checkpointChanged()).toMatch(/was replaced by another file/);
    rmSync(p);
    expect(m.checkpointChanged()).toMatch(/cannot be read any more \(ENOENT\)/);
    m.dispose();
  });

  it('weights converted at load are copies: a rewrite does not reach them', async () => {
    const dir = copyOf('g_llama_gqa_bf16');
    const m = await loadModel(dir, { dtype: 'float32', tokenizer: false });
    const before = await m.logits({ ids, rows: 1, positions: 5 });
    rewrite(join(dir, 'model.safetensors'));
    expect(await m.logits({ ids, rows: 1, positions: 5 })).toEqual(before);
    expect(m.checkpointChanged()).not.toBeNull();
    m.dispose();
  });

  it('random presets have no file to change', async () => {
    const m = await loadModel('random:micro');
    expect(m.checkpointChanged()).toBeNull();
    m.dispose();
  });

  it('a sweep refuses to write results from a changed checkpoint', async () => {
    const dir = copyOf('a_gpt2');
    const out = join(dir, 'results.arrow');
    const spec = parseSpec({
      model: dir,
      targets: [{ kind: 'vanilla', entropyBits: [1], method: 'temperature' }],
      methods: [{ method: 'soft' }],
      inits: 1,
      maxEpochs: 3,
      patience: 3,
      output: out,
    });
    const model = await loadModel(dir, { tokenizer: false });
    rewrite(join(dir, 'model.safetensors'));
    try {
      const e = await failure(runSweep(spec, { model, figures: false }));
      expect(e.code).toBe('changed');
      expect(e.message).toContain(join(dir, 'model.safetensors'));
      expect(existsSync(out)).toBe(false);
    } finally {
      model.dispose();
    }
  });
});
