// A loaded model owns its weights: truncating or rewriting the checkpoint afterwards changes
// nothing and kills nothing (checkpointChanged() still says the file changed). Only the explicit
// zero-copy option views the file, with the documented caveat: truncation is then a SIGBUS. Each
// case runs in a child process, since the caveat's case ends the process.
import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scratchDir } from './helpers/cli.js';

const index = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'lib', 'index.js')).href;
const fixture = join(import.meta.dirname, 'fixtures', 'hf-golden', 'a_gpt2');
const dir = scratchDir('owned');

/** Loads a copy of the fixture, truncates (or rewrites) its weights, then runs the model again. */
function afterChange(name: string, change: 'truncate' | 'rewrite', mapWeights: boolean) {
  const copy = join(dir, name);
  cpSync(fixture, copy, { recursive: true });
  const script = `
    import { truncateSync, writeFileSync, statSync } from 'node:fs';
    const { loadModel } = await import(${JSON.stringify(index)});
    const file = ${JSON.stringify(join(copy, 'model.safetensors'))};
    const model = await loadModel(${JSON.stringify(copy)}, { tokenizer: false, mapWeights: ${mapWeights} });
    const args = { ids: Int32Array.from([1, 2, 3]), rows: 1, positions: 3 };
    const before = Array.from(await model.logits(args));
    if (${JSON.stringify(change)} === 'truncate') truncateSync(file, 0);
    else writeFileSync(file, Buffer.alloc(statSync(file).size, 0x7f));
    const after = Array.from(await model.logits(args));
    console.log(JSON.stringify({ same: before.every((x, i) => Object.is(x, after[i])), finite: after.every(Number.isFinite), changed: model.checkpointChanged() }));
    model.dispose();
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
}

describe('loaded weights are owned by default', () => {
  for (const change of ['truncate', 'rewrite'] as const) {
    it(`a checkpoint ${change === 'truncate' ? 'truncated' : 'rewritten'} after load changes nothing; checkpointChanged() says so`, () => {
      const r = afterChange(`owned-${change}`, change, false);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out).toMatchObject({ same: true, finite: true });
      expect(out.changed).toMatch(
        change === 'truncate' ? /model\.safetensors: changed size/ : /model\.safetensors: was modified/,
      );
    });
  }
  it('with mapWeights: true the model views the file: truncating it is the documented SIGBUS', () => {
    const r = afterChange('mapped-truncate', 'truncate', true);
    expect(r.signal).toBe('SIGBUS');
  });
});
