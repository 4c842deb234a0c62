// What reproducibility means. By default a soft row's klNats is the same to 1e-4 (relative, at
// least 1 nat) in any batch, shard or resume, while its epochs and a hard or hybrid row's choices
// may differ at near-ties; in deterministic mode rows batch in fixed groups of the plan, and
// results are bitwise the same across a kill and resume in the middle of a group and across shards.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type Model } from '../lib/index.js';
import { readResults, scanJournal, type StoredRunRecord } from '../lib/results/index.js';
import { journalBatches } from '../lib/results/journal.js';
import { parseSpec, specHash } from '../lib/spec/index.js';
import { planRows, planSweep, planTargets, remainingGroups } from '../lib/sweep/index.js';
import { tune, type TuneRecord } from '../lib/tune/index.js';
import { randomTarget } from './helpers/dist.js';
import { cli, runCli, scratchDirs } from './helpers/cli.js';

const tmp = scratchDirs('det');

let model: Model;
let V: number;
let targets: Float32Array;

beforeAll(async () => {
  model = await loadModel('random:micro', { seed: 11, tokenizer: false });
  V = model.info.vocabSize;
  targets = new Float32Array(6 * V);
  for (let i = 0; i < 6; i++) targets.set(randomTarget(V, 40 + i, 2 + i), i * V);
});
afterAll(() => model.dispose());

/** The parts of a result that do not depend on the clock. */
const result = (r: TuneRecord | StoredRunRecord) => ({
  rowId: r.rowId,
  klNats: r.klNats,
  bestEpoch: r.bestEpoch,
  epochs: r.epochs,
  stopReason: r.stopReason,
  modelEntropyBits: r.modelEntropyBits,
  promptIds: Array.from(r.promptIds ?? []),
});
const byId = <T extends { rowId: string }>(rs: T[]) => new Map(rs.map((r) => [r.rowId, r]));

describe('by default', () => {
  it('a soft row keeps its klNats to 1e-4 in other batches and neighbours; a hard row keeps its first prompt', async () => {
    const opts = { targets, inits: 2, maxEpochs: 40, patience: 8 };
    const rows = Array.from({ length: 12 }, (_, i) => ({ targetIndex: i % 6, initId: Math.floor(i / 6) }));
    const runs = [
      await tune(model, { ...opts, batchSize: 1 }),
      await tune(model, { ...opts, batchSize: 5, rows }),
      await tune(model, { ...opts, batchSize: 12 }),
    ];
    const alone = byId(runs[0]);
    for (const other of runs.slice(1)) {
      expect(other).toHaveLength(12);
      for (const r of other) {
        const a = alone.get(r.rowId)!;
        expect(Math.abs(r.klNats - a.klNats)).toBeLessThanOrEqual(1e-4 * Math.max(1, a.klNats));
        expect(r.seed).toBe(a.seed);
      }
    }
    // Hard: a row's first prompt comes from its seed alone (epoch 0 is the only prompt evaluated).
    const hard = { targets, method: 'hard' as const, prefixLength: 1, inits: 2, maxEpochs: 1, ban: 'none' as const };
    const one = byId(await tune(model, { ...hard, batchSize: 1 }));
    const twelve = await tune(model, { ...hard, batchSize: 12 });
    expect(twelve).toHaveLength(12);
    for (const r of twelve) expect(Array.from(r.promptIds)).toEqual(Array.from(one.get(r.rowId)!.promptIds));
  });
});

describe('deterministic mode in tune()', () => {
  it('a group run alone gives bitwise the results it gives among the other groups', async () => {
    const opts = {
      targets,
      method: 'hybrid' as const,
      pattern: 'HSS',
      prefixLength: 3,
      inits: 2,
      maxEpochs: 12,
      patience: 3,
      ban: 'none' as const,
      deterministic: true,
      batchSize: 4,
    };
    const all = await tune(model, opts);
    expect(all).toHaveLength(12);
    // Rows 4..7 of the plan are group 1; run them alone, in another order.
    const plan = Array.from({ length: 12 }, (_, i) => ({ targetIndex: Math.floor(i / 2), initId: i % 2 }));
    const alone = await tune(model, {
      ...opts,
      rows: plan
        .slice(4, 8)
        .reverse()
        .map((r) => ({ ...r, group: 1 })),
    });
    const whole = byId(all);
    expect(new Set(alone.map((r) => r.rowId)).size).toBe(4);
    for (const r of alone) expect(result(r)).toEqual(result(whole.get(r.rowId)!));
  });

  it('needs a fixed batchSize, and the error says so', async () => {
    await expect(tune(model, { targets, deterministic: true })).rejects.toThrow(
      /deterministic: needs a fixed batchSize \(e\.g\. 16\), not 'auto'/,
    );
    expect(() => parseSpec({ deterministic: true })).toThrow(/deterministic: needs a fixed batchSize/);
  });
});

describe('deterministic sweeps: the plan', () => {
  const spec = parseSpec({
    targets: [{ kind: 'vanilla', entropyBits: [0, 1, 2] }],
    methods: [{ method: 'soft' }, { method: 'hard' }],
    inits: 3,
    batchSize: 4,
    deterministic: true,
  });
  const rows = planRows(spec, planTargets(spec, 1000));

  it("groups each method's rows in runs of batchSize; shards take whole groups; a resume reruns open groups", () => {
    const groupsOf = (method: string) => rows.filter((r) => r.method === method).map((r) => r.group);
    expect(groupsOf('soft')).toEqual([0, 0, 0, 0, 2, 2, 2, 2, 4]);
    expect(groupsOf('hard')).toEqual([1, 1, 1, 1, 3, 3, 3, 3, 5]);
    const shard1 = planSweep({ ...spec, shard: { index: 1, count: 2 } }, 1000).shardRows;
    expect(new Set(shard1.map((r) => r.group))).toEqual(new Set([1, 3, 5]));
    const soft = rows.filter((r) => r.method === 'soft');
    const finished = new Set([soft[0].rowId, soft[1].rowId, ...soft.slice(4, 8).map((r) => r.rowId)]);
    expect(remainingGroups(soft, finished).map((r) => r.rowId)).toEqual(
      [...soft.slice(0, 4), soft[8]].map((r) => r.rowId),
    );
  });

  it('is part of the spec hash (with the batch size it groups by); without it the hash is as before', () => {
    const plain = parseSpec({ batchSize: 4 });
    expect(specHash(parseSpec({ batchSize: 4, deterministic: false }))).toBe(specHash(plain));
    expect(specHash(parseSpec({ batchSize: 8 }))).toBe(specHash(plain));
    expect(specHash(spec)).not.toBe(specHash(parseSpec({ ...spec, deterministic: undefined })));
    expect(specHash(parseSpec({ ...spec, batchSize: 8 }))).not.toBe(specHash(spec));
  });
});

const run = (args: string[], cwd: string) => runCli(args, cwd);

describe('deterministic sweeps end to end', () => {
  // 4 targets × 3 inits of one method in groups of 4: 3 groups. Its rows stop by patience
  // between epochs ~80 and ~115, so a group is journaled a few rows at a time.
  const spec = {
    model: 'random:micro',
    targets: [{ kind: 'vanilla', entropyBits: [0, 2, 5, 8], method: 'temperature' }],
    methods: [{ method: 'hybrid', pattern: 'HS' }],
    prefixLength: 2,
    inits: 3,
    maxEpochs: 150,
    patience: 10,
    batchSize: 4,
    deterministic: true,
  };

  it('kill -9 in the middle of a group then --resume, and a shard: bitwise the rows of a whole run', async () => {
    const dir = tmp();
    const config = join(dir, 'spec.json');
    writeFileSync(config, JSON.stringify(spec));
    const whole = run(['sweep', '-c', config, '-o', 'whole.arrow', '--no-figures', '-q'], dir);
    expect(whole.status, whole.stderr).toBe(0);
    const want = (await readResults(join(dir, 'whole.arrow'))).records;
    expect(want).toHaveLength(12);

    // Kill once the journal holds part of a group (a row count that is not a multiple of 4).
    const journaledRows = (path: string) => {
      if (!existsSync(path)) return 0;
      const bytes = readFileSync(path);
      return scanJournal(bytes).batches ? [...journalBatches(bytes)!.batches].reduce((n, b) => n + b.numRows, 0) : 0;
    };
    let cut = 0;
    for (let attempt = 0; attempt < 4 && cut % 4 === 0; attempt++) {
      const out = `cut${attempt}.arrow`;
      const child = spawn(process.execPath, [cli, 'sweep', '-c', config, '-o', out, '--no-figures', '-q'], {
        cwd: dir,
        stdio: 'ignore',
      });
      const exited = new Promise((r) => child.on('exit', r));
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          const n = journaledRows(join(dir, `${out}.partial`));
          if (n % 4 !== 0 || child.exitCode !== null) {
            clearInterval(t);
            child.kill('SIGKILL');
            resolve();
          }
        }, 2);
      });
      await exited;
      cut = journaledRows(join(dir, `${out}.partial`));
      if (cut % 4 === 0) continue;
      const resumed = run(['sweep', '-c', config, '-o', out, '--no-figures', '--resume'], dir);
      expect(resumed.status, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain(`resuming: ${cut} of 12 rows already done`);
      expect(resumed.stderr).not.toMatch(/differs from its journaled result/);
      const got = (await readResults(join(dir, out))).records;
      expect(got.map(result)).toEqual(want.map(result));
    }
    expect(cut % 4, 'the kill never landed inside a group').not.toBe(0);

    // Shard 1/2 holds group 1 alone: in the whole run its neighbours in time were groups 0 and 2.
    const shard = run(['sweep', '-c', config, '-o', 's1.arrow', '--shard', '1/2', '--no-figures', '-q'], dir);
    expect(shard.status, shard.stderr).toBe(0);
    const got = (await readResults(join(dir, 's1.arrow'))).records;
    expect(got.map((r) => r.rowId)).toEqual(want.slice(4, 8).map((r) => r.rowId));
    const wantById = byId(want);
    for (const r of got) expect(result(r)).toEqual(result(wantById.get(r.rowId)!));
  }, 300_000);
});
