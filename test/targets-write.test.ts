// What `distprompt targets` writes: JSON built a row at a time (the bytes one JSON.stringify of the
// whole set gave, without its string limit), safetensors for a .safetensors name, both read back
// as the same rows; and a JSON set too large to read back refused before it is made.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

import { readTargetFile } from '../lib/targets/file.js';
import { targetFileBytes } from '../lib/targets/write.js';

const cli = join(import.meta.dirname, '..', 'dist', 'lib', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-targets-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });

it('JSON row by row is the bytes of one JSON.stringify; safetensors holds the same float32 rows', () => {
  const vocab = 3;
  const data = Float32Array.from([0.5, 0.25, 0.25, 1, 0, 0]);
  const meta = [
    { id: 'a', entropyBits: 1.5 },
    { id: 'b', entropyBits: 0 },
  ];
  const json = targetFileBytes('t.json', data, meta, vocab).toString('utf8');
  const rows = [Array.from(data.subarray(0, 3)), Array.from(data.subarray(3))];
  expect(json).toBe(JSON.stringify({ vocabSize: vocab, meta, targets: rows }));
  const st = targetFileBytes('t.safetensors', data, meta, vocab);
  const n = Number(st.readBigUInt64LE(0));
  expect(JSON.parse(st.subarray(8, 8 + n).toString('utf8'))).toEqual({
    targets: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
  });
  expect(new Float32Array(new Uint8Array(st.subarray(8 + n)).buffer)).toEqual(data);
});

it('writes .safetensors that tune reads back, the rows the JSON holds', () => {
  const common = ['targets', '-m', 'random:micro', '--entropy', '1,5'];
  expect(run([...common, '-o', 't.json']).status).toBe(0);
  const r = run([...common, '-o', 't.safetensors']);
  expect(r.status, r.stderr).toBe(0);
  const [json, st] = [readTargetFile(join(dir, 't.json'), 1000), readTargetFile(join(dir, 't.safetensors'), 1000)];
  expect(st.rows).toBe(2);
  expect(st.data).toEqual(json.data);
  // 4 bytes a value and a header, where the JSON takes ~20 a value.
  expect(readFileSync(join(dir, 't.safetensors')).length).toBeLessThan(8 + 2 * 1000 * 4 + 100);
  expect(readFileSync(join(dir, 't.json')).length).toBeGreaterThan(2 * 1000 * 15);
  const tuned = run(['tune', '-m', 'random:micro', '--targets', 't.safetensors', '--max-epochs', '2', '--inits', '1']);
  expect(tuned.status, tuned.stderr).toBe(0);
});

it('refuses, before making them, targets whose JSON could not be read back, naming the safetensors form', () => {
  // The paper's vanilla grid over Llama 3's vocabulary: 341 × 128,256 values, ~875 MB of JSON.
  const r = run(['targets', '-m', 'random:tiny-llama3', '--entropy', '0:max:0.05', '-o', 'big.json']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(
    /big\.json: 341 targets over 128,256 tokens make more JSON .* name the file \.safetensors \(float32 rows, 167 MiB\)/,
  );
  expect(r.stderr).not.toMatch(/Invalid string length/);
});
