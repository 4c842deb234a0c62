// JSON files a user hands over (a sweep spec, a study file, a targets file) are read as JSON
// whether or not their editor saved them with a UTF-8 byte-order mark.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { readStudy } from '../lib/study/catalog.js';
import { readTargetFile } from '../lib/targets/file.js';
import { cli, scratchDir } from './helpers/cli.js';

const BOM = '\uFEFF';
const dir = scratchDir('bom');

describe('a JSON file saved with a byte-order mark', () => {
  it('sweep --config reads it: its fields are checked, not refused as "not valid JSON"', () => {
    const spec = join(dir, 'spec.json');
    writeFileSync(spec, `${BOM}${JSON.stringify({ model: 'random:micro', inits: 0 })}`);
    const r = spawnSync(process.execPath, [cli, 'sweep', '-c', spec, '--plan'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/not valid JSON/);
    expect(r.stderr).toMatch(/inits/);
  });

  it('a study file and a targets file read as they do without it', () => {
    const source = join(import.meta.dirname, '..', 'studies', 'vanilla.json');
    const text = readFileSync(source, 'utf8');
    const d1 = mkdtempSync(join(dir, 's-'));
    copyFileSync(source, join(d1, 'vanilla.json'));
    const d2 = mkdtempSync(join(dir, 's-'));
    writeFileSync(join(d2, 'vanilla.json'), `${BOM}${text}`);
    const { path: _marked, ...withMark } = readStudy('vanilla', d2);
    const { path: _plain, ...without } = readStudy('vanilla', d1);
    expect(withMark).toEqual(without);

    const rows = [
      [0.25, 0.75, 0, 0],
      [0.5, 0.5, 0, 0],
    ];
    writeFileSync(join(dir, 't.json'), JSON.stringify({ vocabSize: 4, targets: rows }));
    writeFileSync(join(dir, 't-bom.json'), `${BOM}${JSON.stringify({ vocabSize: 4, targets: rows })}`);
    const plain = readTargetFile(join(dir, 't.json'), 4);
    const marked = readTargetFile(join(dir, 't-bom.json'), 4);
    expect(Array.from(marked.data)).toEqual(Array.from(plain.data));
    expect(Array.from(marked.data)).toEqual(rows.flat());
  });
});
