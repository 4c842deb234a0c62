// The head bound in sweeps: every row carries its target's bound, --no-bound leaves the columns
// null, and the guard flags a row below its bound (provoked with a head whose final norm is
// shrunk, so its bound is far above what the real model reaches).
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { headBound } from '../lib/bound/index.js';
import { loadModel } from '../lib/model/load.js';
import { native } from '../lib/native/index.js';
import { readResults } from '../lib/results/index.js';
import { belowBoundMessage, boundColumns, boundColumnsOf, sweepBounds } from '../lib/run/bound-columns.js';
import { runSweep } from '../lib/run/sweep.js';
import { parseSpec } from '../lib/spec/index.js';
import { synthesizeTargets } from '../lib/targets/index.js';
import { BOUND_RESULT_COLUMNS } from './helpers/bound-columns.js';
import { tune } from '../lib/tune/index.js';
import { scratchDir } from './helpers/cli.js';

const dir = scratchDir('bound-sweep');

const small = (output: string, extra: Record<string, unknown> = {}) =>
  parseSpec({
    model: 'random:tiny-gpt2',
    targets: [
      { kind: 'vanilla', entropyBits: [0.5, 3, 6], method: 'temperature' },
      { kind: 'outlier', entropyBits: [3], outliers: 1 },
    ],
    methods: [{ method: 'soft' }, { method: 'hard' }],
    inits: 2,
    maxEpochs: 15,
    output,
    ...extra,
  });

describe('head bound columns in a sweep', () => {
  it('every row has its target bounds, shared across inits and methods: ball ≤ sphere ≤ klNats, bodyGap = klNats − sphere', async () => {
    const out = join(dir, 'with-bound.arrow');
    const logs: string[] = [];
    const events = new EventEmitter().on('log', (l: string) => logs.push(l));
    await runSweep(small(out), { figures: false }, events);
    const { records, metadata } = await readResults(out);
    expect(metadata.schemaVersion).toBe('3');
    expect(records.length).toBe(4 * 2 * 2);
    expect(logs.some((l) => /^head bound of 4 targets in/.test(l))).toBe(true);
    const byTarget = new Map<string, number>();
    for (const r of records) {
      expect(r.headBoundNats).not.toBeNull();
      expect(r.headBoundGapNats!).toBeLessThanOrEqual(1e-5);
      expect(r.bottleneckBoundNats!).toBeLessThanOrEqual(r.headBoundNats! + 1e-12);
      expect(r.sphereBoundNats!).toBeGreaterThanOrEqual(r.headBoundNats! - r.headBoundGapNats!);
      expect(r.bodyGapNats!).toBeCloseTo(r.klNats - r.sphereBoundNats!, 12);
      expect(r.belowHeadBound).toBe(false);
      expect(r.klNats).toBeGreaterThanOrEqual(r.headBoundNats! - 1e-3);
      expect(r.klNats).toBeGreaterThanOrEqual(r.sphereBoundNats! - 1e-3);
      expect(['minimum', 'limit']).toContain(r.bottleneckStatus);
      const prior = byTarget.get(r.targetId);
      if (prior !== undefined) expect(r.headBoundNats).toBe(prior);
      byTarget.set(r.targetId, r.headBoundNats!);
    }
  });

  it('a shard that runs only some targets (as a resume does) writes the bounds an uninterrupted run writes, bit for bit', async () => {
    // 21 targets, one row each: shard 0 of 2 runs the even ones, shard 1 the odd ones. A bound
    // solved beside other targets than the whole run's would differ in its last bits.
    const spec = (output: string, shard?: string) =>
      parseSpec({
        model: 'random:micro',
        targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5', method: 'temperature' }],
        methods: [{ method: 'soft' }],
        inits: 1,
        maxEpochs: 2,
        output,
        ...(shard ? { shard } : {}),
      });
    const whole = join(dir, 'groups-whole.arrow');
    await runSweep(spec(whole), { figures: false });
    const shards = [join(dir, 'groups-0.arrow'), join(dir, 'groups-1.arrow')];
    for (const [i, out] of shards.entries()) await runSweep(spec(out, `${i}/2`), { figures: false });
    const bounds = (rs: Awaited<ReturnType<typeof readResults>>['records']) =>
      new Map(rs.map((r) => [r.targetId, BOUND_RESULT_COLUMNS.map((c) => r[c])]));
    const expected = bounds((await readResults(whole)).records);
    const got = bounds([...(await readResults(shards[0])).records, ...(await readResults(shards[1])).records]);
    expect(got.size).toBe(21);
    for (const [id, b] of expected) expect([id, got.get(id)]).toEqual([id, b]);
  });

  it("one call over the sweep's uploaded targets gives each group the bits it gets solved alone from its own upload", async () => {
    // A shard's targets: plan groups 0 and 2 of 150 (64 + 22), near the top entropy so that the
    // sphere search (random starts drawn per group) runs for many.
    const model = await loadModel('random:micro', { tokenizer: false });
    const set = await synthesizeTargets(model, {
      kind: 'vanilla',
      entropyBits: Array.from({ length: 150 }, (_, i) => 9 + i * 0.006),
      method: 'temperature',
    });
    try {
      const V = model.info.vocabSize;
      const all = set.toArray();
      const planIndex = [...Array(64).keys(), ...Array.from({ length: 22 }, (_, i) => 128 + i)];
      const data = new Float32Array(planIndex.length * V);
      planIndex.forEach((p, i) => data.set(all.subarray(p * V, (p + 1) * V), i * V));
      const meta = planIndex.map((p) => set.meta[p]);
      const uploaded = await native().uploadTensor({ data, shape: [planIndex.length, V], device: model.info.device });
      const once = await sweepBounds(model, { targets: uploaded, meta }, planIndex, new EventEmitter());
      uploaded.dispose();
      const alone = [
        ...(await headBound(model, data.subarray(0, 64 * V), { groups: Array(64).fill(0) })),
        ...(await headBound(model, data.subarray(64 * V), { groups: Array(22).fill(2) })),
      ];
      expect(alone.filter((b) => b.sphereStarts! > 0).length).toBeGreaterThan(20);
      expect(once).toEqual(alone.map((b) => boundColumnsOf(b, model.info.dtype)));
    } finally {
      set.dispose();
      model.dispose();
    }
  });

  it('--no-bound leaves the columns null and changes the spec hash', async () => {
    const out = join(dir, 'no-bound.arrow');
    await runSweep(small(out, { bound: false }), { figures: false });
    const { records, metadata } = await readResults(out);
    expect(records).toHaveLength(4 * 2 * 2);
    for (const r of records) {
      expect(r.headBoundNats).toBeNull();
      expect(r.bodyGapNats).toBeNull();
      expect(r.belowHeadBound).toBeNull();
    }
    const other = (await readResults(join(dir, 'with-bound.arrow'))).metadata;
    expect(metadata.specHash).not.toBe(other.specHash);
  });
});

describe('the guard', () => {
  it('flags and reports a row below its head bound', async () => {
    // A GPT-2 checkpoint whose final LayerNorm scale is shrunk 100×: its outputs form a far
    // smaller set S, so its head bound is far above what the real model reaches on the same target.
    const src = join(__dirname, 'fixtures', 'hf-golden', 'a_gpt2');
    const shrunk = join(dir, 'shrunk');
    cpSync(src, shrunk, { recursive: true });
    const file = join(shrunk, 'model.safetensors');
    const bytes = readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<
      string,
      { dtype: string; data_offsets: [number, number] }
    >;
    const entry = header['ln_f.weight'] ?? header['transformer.ln_f.weight'];
    expect(entry.dtype).toBe('F32');
    for (let o = 8 + n + entry.data_offsets[0]; o < 8 + n + entry.data_offsets[1]; o += 4)
      bytes.writeFloatLE(bytes.readFloatLE(o) * 0.01, o);
    writeFileSync(file, bytes);

    const real = await loadModel(src, { tokenizer: false });
    const wrong = await loadModel(shrunk, { tokenizer: false });
    try {
      const set = await synthesizeTargets(real, {
        kind: 'vanilla',
        entropyBits: [1, 2],
        method: 'temperature',
        seed: 3,
      });
      // The synthesised set as the sweep hands its targets to the bound: plan indices 0 and 1, one group.
      const logs: string[] = [];
      const bounds = await sweepBounds(
        wrong,
        set,
        [0, 1],
        new EventEmitter().on('log', (l: string) => logs.push(l)),
      );
      const rows = await tune(real, { targets: set.toArray(), method: 'soft', inits: 1, maxEpochs: 30 });
      const flagged = rows.map((r) => ({
        rowId: r.rowId,
        klNats: r.klNats,
        ...boundColumns(r.klNats, bounds![r.targetIndex], r.maxAbsLogit),
      }));
      expect(flagged.every((r) => r.belowHeadBound)).toBe(true);
      const message = belowBoundMessage(flagged[0] as never, 'float32');
      expect(message).toMatch(/^row .* below its target's head bound/);
      expect(message).toMatch(/belowHeadBound = true/);
      // With the real model's own bound the same rows pass.
      const own = await sweepBounds(real, set, [0, 1], new EventEmitter());
      expect(rows.every((r) => !boundColumns(r.klNats, own![r.targetIndex], r.maxAbsLogit).belowHeadBound)).toBe(true);
      set.dispose();
    } finally {
      real.dispose();
      wrong.dispose();
    }
  });
});

describe('results files of older schema versions', () => {
  for (const version of [1, 2]) {
    it(`version ${version} is still read, with the columns added later null`, async () => {
      // An older file: the same rows without the columns later versions added, stamped so.
      const { tableFromIPC, tableToIPC, Table, Schema } = await import('apache-arrow');
      const { COLUMNS } = await import('../lib/results/index.js');
      const now = tableFromIPC(readFileSync(join(dir, 'with-bound.arrow')));
      const keep = COLUMNS.filter((c) => c.since <= version).map((c) => c.name);
      const metadata = new Map(now.schema.metadata);
      metadata.set('distprompt.schemaVersion', String(version));
      const narrow = now.select(keep);
      const old = new Table(
        new Schema(narrow.schema.fields, metadata),
        narrow.batches.map((b) => b),
      );
      const path = join(dir, `v${version}.arrow`);
      writeFileSync(path, tableToIPC(old, 'file'));
      const back = await readResults(path);
      expect(back.metadata.schemaVersion).toBe(String(version));
      expect(back.records.length).toBe(16);
      for (const r of back.records) {
        expect(r.sphereBoundNats).toBeNull();
        expect(r.bottleneckStatus).toBeNull();
        if (version === 1) {
          expect(r.headBoundNats).toBeNull();
          expect(r.bodyGapNats).toBeNull();
        } else expect(r.headBoundNats).not.toBeNull();
        expect(Number.isFinite(r.klNats)).toBe(true);
      }
    });
  }
});
