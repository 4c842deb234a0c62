// docs/sweeps.md against the code: every JSON block is a valid spec, the main experiment's spec is
// the one studies/vanilla.json runs, and the field tables list every field of the schema with
// the default parseSpec fills in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseSpec } from '../lib/spec/index.js';
import { MethodSpec, SweepSpecSchema, TargetSpec } from '../lib/spec/schema.js';

const root = join(import.meta.dirname, '..');
const doc = readFileSync(join(root, 'docs', 'sweeps.md'), 'utf8');

const jsonBlocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);

interface Row {
  field: string;
  /** the default cell: '—' (absent), 'required', or a JSON value */
  default: string;
}

/** The first table after the heading `heading` (exact line). */
function table(heading: string): Row[] {
  const lines = doc.split('\n');
  const at = lines.indexOf(heading);
  if (at < 0) throw new Error(`docs/sweeps.md has no heading '${heading}'`);
  const rows: Row[] = [];
  let i = lines.findIndex((l, j) => j > at && l.startsWith('| field |'));
  for (i += 2; i < lines.length && lines[i].startsWith('|'); i++) {
    const cells = lines[i]
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    const field = /^`([^`]+)`$/.exec(cells[0])?.[1];
    if (!field) throw new Error(`docs/sweeps.md, under '${heading}': a row without a \`field\`: ${lines[i]}`);
    rows.push({ field, default: cells[2].replace(/^`|`$/g, '') });
  }
  return rows;
}

function expectDefaults(rows: Row[], parsed: Record<string, unknown>, where: string): void {
  for (const r of rows) {
    if (r.default === 'required') continue;
    const got = parsed[r.field];
    if (r.default === '—') expect(got, `${where}.${r.field}: the doc says absent`).toBeUndefined();
    else expect(got, `${where}.${r.field}`).toEqual(JSON.parse(r.default));
  }
}

describe('docs/sweeps.md', () => {
  it('every JSON block parses as a valid sweep spec', () => {
    expect(jsonBlocks.length).toBeGreaterThan(0);
    for (const block of jsonBlocks) expect(() => parseSpec(JSON.parse(block))).not.toThrow();
  });

  it("the main experiment's spec is studies/vanilla.json's paper spec for gpt2 on CUDA", () => {
    const study = JSON.parse(readFileSync(join(root, 'studies', 'vanilla.json'), 'utf8')) as {
      paper: Record<string, unknown>;
    };
    const fromStudy = parseSpec({ ...study.paper, model: 'gpt2', device: 'cuda', output: 'vanilla.gpt2.arrow' });
    expect(parseSpec(JSON.parse(jsonBlocks[0]))).toEqual(fromStudy);
  });

  it('the top-level table lists every spec field, with the default parseSpec fills in', () => {
    const rows = table('## Top-level fields');
    expect(rows.map((r) => r.field).sort()).toEqual(Object.keys(SweepSpecSchema.shape).sort());
    expectDefaults(rows, parseSpec({}) as Record<string, unknown>, 'spec');
  });

  it("each target kind's table lists its fields, defaults and required ones", () => {
    for (const option of TargetSpec.options) {
      const kind = option.shape.kind.value;
      const rows = table(`### \`${kind}\``);
      expect(rows.map((r) => r.field).sort(), kind).toEqual(
        Object.keys(option.shape)
          .filter((k) => k !== 'kind')
          .sort(),
      );
      const required = rows.filter((r) => r.default === 'required').map((r) => r.field);
      const given = Object.fromEntries(required.map((f) => [f, 'x']));
      expectDefaults(rows, parseSpec({ targets: [{ kind, ...given }] }).targets[0] as Record<string, unknown>, kind);
      for (const f of required) {
        const without = { kind, ...given, [f]: undefined };
        expect(() => parseSpec({ targets: [without] }), `${kind}.${f} is required`).toThrow(
          new RegExp(`targets\\[0\\]\\.${f}`),
        );
      }
    }
  });

  it('the methods table lists every method field, with its defaults', () => {
    const rows = table('## Method entries (`methods[]`)');
    expect(rows.map((r) => r.field).sort()).toEqual(Object.keys(MethodSpec.shape).sort());
    for (const method of ['soft', 'hard'] as const)
      expectDefaults(rows, parseSpec({ methods: [{ method }] }).methods[0] as Record<string, unknown>, method);
    expect(() => parseSpec({ methods: [{}] })).toThrow(/methods\[0\]\.method/);
    expect(() => parseSpec({ methods: [{ method: 'hybrid' }] })).toThrow(/methods\[0\]\.pattern/);
  });

  it('fails on a spec the schema rejects (the check can fail)', () => {
    const bad = JSON.parse(jsonBlocks[0]) as Record<string, unknown>;
    expect(() => parseSpec({ ...bad, inits: 0 })).toThrow(/inits/);
    expect(() => parseSpec({ ...bad, bogus: 1 })).toThrow(/bogus/);
  });
});
