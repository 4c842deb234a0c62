import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep, shardRows } from '../lib/sweep/index.js';
import { mergeResults } from '../lib/run/merge.js';
import {
  finishJournal,
  journalPath,
  openForResume,
  readJournal,
  readResults,
  ResultWriter,
  scanJournal,
  type ResultMetadata,
  type RunRecord,
  type StoredRunRecord,
} from '../lib/results/index.js';
import { Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import { firstBatchSaysItIs, MESSAGE_HEADER, schemaMetadataCountSays } from './helpers/arrow-damage.js';
import { runCli, scratchDir } from './helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '..');
const dir = scratchDir('results');

const VOCAB = 16;
const spec = parseSpec({
  targets: [
    { kind: 'vanilla', entropyBits: '0:max:0.5' },
    { kind: 'outlier', entropyBits: [1, 2], outliers: 2 },
  ],
  inits: 3,
  methods: [{ method: 'soft' }, { method: 'hybrid', pattern: 'HHSSS' }],
});
const plan = planSweep(spec, VOCAB);
const meta = (over: Partial<ResultMetadata> = {}): ResultMetadata => ({
  spec,
  model: { name: 'random:tiny-gpt2', hash: 'ab12'.repeat(16) },
  vocabSize: VOCAB,
  version: '0.1.0',
  build: { torch: '2.x', cuda: false },
  ...over,
});

/** A realistic record for a planned row: difficulty peaks mid-entropy, outliers are easier. */
function recordFor(row: (typeof plan.rows)[number], shardIndex = 0): RunRecord {
  const target = plan.targets.find((t) => t.targetId === row.targetId)!;
  const h = (target.params as { entropyBits: number }).entropyBits;
  const hard = row.method !== 'soft';
  const klNats =
    (0.1 + Math.sin((Math.PI * h) / 4)) * (target.kind === 'outlier' ? 0.5 : 1) * (hard ? 2 : 1) + row.initId * 0.01;
  return {
    rowId: row.rowId,
    targetId: row.targetId,
    targetKind: target.kind,
    initId: row.initId,
    method: row.method,
    pattern: row.pattern,
    candidates: row.candidates,
    prefixLength: 5,
    klNats,
    bestEpoch: 40 + row.initId,
    epochs: 60 + row.initId,
    stopReason: 'patience',
    modelEntropyBits: h * 0.9,
    targetEntropyBits: h + 0.001,
    requestedEntropyBits: h,
    promptIds: hard ? [3, 7, -1, -1, -1] : null,
    promptText: hard ? ' the cat' : null,
    softPrompt: hard ? null : new Float32Array([0.5, -1.25, 2]),
    wallMs: 12.5,
    shardIndex,
    outliers: target.kind === 'outlier' ? 2 : null,
    outlierMass: target.kind === 'outlier' ? 0.42 : null,
    m: target.kind === 'outlier' ? 0.43 : null,
    targetParams: JSON.stringify({ seed: target.seed }),
  };
}
const allRecords = plan.rows.map((r) => recordFor(r));
const withoutTiming = (rs: readonly StoredRunRecord[]) => rs.map(({ wallMs: _w, ...rest }) => rest);

/** The writer's rows as a reader hands them back (typed arrays become plain arrays, absent fields null). */
function stored(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r))
    out[k] = v === undefined ? null : v !== null && typeof v === 'object' ? Array.from(v as ArrayLike<number>) : v;
  for (const k of ['sourceModel', 'shuffleIndex', 'posTag', 'lmPromptIds', 'pairedWith']) out[k] ??= null;
  // The head-bound columns: these rows were written without a bound.
  for (const k of [
    'headBoundNats',
    'headBoundGapNats',
    'bottleneckBoundNats',
    'bottleneckConverged',
    'bodyGapNats',
    'belowHeadBound',
    'sphereBoundNats',
    'sphereStarts',
    'sphereResidual',
    'bottleneckStatus',
  ])
    out[k] ??= null;
  return out;
}

describe('write and read', () => {
  test('round trip keeps every column, nulls, lists and the schema metadata', async () => {
    const out = join(dir, 'roundtrip.arrow');
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords.slice(0, 7));
    expect(existsSync(out)).toBe(false); // no complete-looking file before finish
    await writer.append(allRecords.slice(7));
    await writer.finish({ order: plan.rows.map((r) => r.rowId) });
    expect(existsSync(journalPath(out))).toBe(false);
    const back = await readResults(out);
    expect(back.records).toHaveLength(allRecords.length);
    expect(back.records[0]).toEqual(stored(allRecords[0]));
    expect(back.records.map((r) => r.rowId)).toEqual(plan.rows.map((r) => r.rowId));
    const hybrid = back.records.find((r) => r.method === 'hybrid')!;
    expect(hybrid.promptIds).toEqual([3, 7, -1, -1, -1]);
    expect(hybrid.softPrompt).toBeNull();
    expect(back.records[0].softPrompt).toEqual([0.5, -1.25, 2]);
    expect(back.metadata.spec).toEqual(JSON.parse(JSON.stringify(spec)));
    expect(back.metadata.model.name).toBe('random:tiny-gpt2');
    expect(back.metadata.vocabSize).toBe(VOCAB);
    expect(back.table.schema.fields.find((f) => f.name === 'klNats')!.type.toString()).toBe('Float64');
  });

  test('a journal deleted under the run stops it at the next batch, saying so; finishing one deleted says the same', async () => {
    const out = join(dir, 'deleted-journal.arrow');
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords.slice(0, 3));
    unlinkSync(journalPath(out)); // as `rm -rf` of its folder would
    const gone = new RegExp(
      `${journalPath(out)} was deleted while this run wrote it .*: the rows it held are lost, and the run stopped`,
    );
    await expect(writer.append(allRecords.slice(3, 6))).rejects.toThrow(gone);
    await writer.abandon();

    const other = join(dir, 'deleted-before-finish.arrow');
    const w2 = await ResultWriter.create(other, meta());
    await w2.append(allRecords.slice(0, 3));
    const how = await w2.closeForFinish();
    unlinkSync(journalPath(other));
    await expect(finishJournal(other, how)).rejects.toThrow(/was deleted while this run wrote it/);
    expect(existsSync(other)).toBe(false);
  });

  test('bad rows and misuse fail with clear messages', async () => {
    const out = join(dir, 'bad.arrow');
    const writer = await ResultWriter.create(out, meta());
    expect(() => writer.append([{ ...allRecords[0], stopReason: 'tired' as never }])).toThrow(
      /row 'vanilla:h=0:s=0\|init=0\|soft': stopReason must be one of patience/,
    );
    // A status the bound never gives would be stored as any string, and a reader's type would not hold.
    expect(() => writer.append([{ ...allRecords[0], bottleneckStatus: 'limits' as never }])).toThrow(
      "bottleneckStatus must be one of minimum, limit, unconverged or null, got 'limits'",
    );
    expect(() => writer.append([{ ...allRecords[0], klNats: undefined as never }])).toThrow(/klNats is missing/);
    expect(() => writer.append([{ ...allRecords[0], initId: 1.5 }])).toThrow(/initId must be a 32-bit integer/);
    await writer.append([allRecords[0]]);
    await expect(writer.append([allRecords[0]])).rejects.toThrow(/already written/);
    await expect(ResultWriter.create(out, meta())).rejects.toThrow(
      /holds an unfinished run: continue it with \{ resume: true \}/,
    );
    await expect(writer.finish({ expectedRowIds: plan.rows.map((r) => r.rowId) })).rejects.toThrow(
      /not written: \d+ planned row\(s\) have no result/,
    );
    expect(existsSync(out)).toBe(false);
    expect(existsSync(journalPath(out))).toBe(true);
    await expect(readResults(join(dir, 'nope.arrow'))).rejects.toThrow(/cannot read results file/);
  });

  test('create refuses to clobber a finished file unless told to', async () => {
    const out = join(dir, 'exists.arrow');
    // Opening as an Arrow file does: an output holding anything else (a spec, targets) is never replaced.
    writeFileSync(out, 'ARROW1 old');
    await expect(ResultWriter.create(out, meta())).rejects.toThrow(/already exists/);
    // Overwritten: the old file stays until the new one replaces it, so a run that fails or is
    // stopped half way loses nothing.
    const stopped = await ResultWriter.create(out, meta(), { overwrite: true });
    await stopped.append(allRecords.slice(0, 3));
    await stopped.close();
    expect(readFileSync(out, 'utf8')).toBe('ARROW1 old');
    unlinkSync(journalPath(out));
    const writer = await ResultWriter.create(out, meta(), { overwrite: true });
    await writer.append(allRecords);
    await finishJournal(out, await writer.closeForFinish(), {
      expectedRowIds: new Set(allRecords.map((r) => r.rowId)),
    });
    expect((await readResults(out)).records).toHaveLength(allRecords.length);
    expect(existsSync(journalPath(out))).toBe(false);
  });
});

describe('a damaged finished file', () => {
  const finished = async (name: string) => {
    const out = join(dir, name);
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords);
    await writer.finish({ order: plan.rows.map((r) => r.rowId) });
    return out;
  };

  test('a record batch whose message says it is a schema is refused in words, where Arrow would read it forever', async () => {
    const damaged = join(dir, 'batch-at-schema.arrow');
    writeFileSync(damaged, firstBatchSaysItIs(readFileSync(await finished('to-damage.arrow')), MESSAGE_HEADER.Schema));
    // In a child process: Arrow's loop never returns, and would hang the test runner with it.
    const r = runCli(['plot', damaged, '-o', join(dir, 'batch-at-schema-figures')], dir, { timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${damaged} is not a results file`);
  });

  test('a metadata count of 2^31 is refused in words, where Arrow would loop 2^31 times', async () => {
    const damaged = join(dir, 'metadata-count.arrow');
    writeFileSync(damaged, schemaMetadataCountSays(readFileSync(await finished('to-count.arrow')), 2 ** 31 - 1));
    const r = runCli(['plot', damaged, '-o', join(dir, 'metadata-count-figures')], dir, { timeout: 60_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${damaged} is not a results file`);
    expect(r.stderr).toContain('a length in its metadata (2147483647) runs past the end of');
  });

  test("schema metadata that is not JSON is named by its key, not thrown as JSON's SyntaxError", async () => {
    const table = tableFromIPC(readFileSync(await finished('metadata.arrow')));
    const metadata = new Map(table.schema.metadata);
    metadata.set('distprompt.build', '{"torch": "2.');
    const damaged = join(dir, 'metadata-damaged.arrow');
    const schema = new Schema(table.schema.fields, metadata);
    writeFileSync(damaged, tableToIPC(new Table(schema, table.batches), 'file'));
    await expect(readResults(damaged)).rejects.toThrow(
      `${damaged}: the schema metadata's 'distprompt.build' is not valid JSON`,
    );
  });
});

describe('journal', () => {
  test('a torn final message is ignored and cut on resume', async () => {
    const out = join(dir, 'torn.arrow');
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords.slice(0, 5));
    await writer.append(allRecords.slice(5, 10));
    await writer.close();
    const whole = statSync(journalPath(out)).size;
    // Tear the last message: keep only part of it, then add junk a crash might leave.
    truncateSync(journalPath(out), whole - 37);
    appendFileSync(journalPath(out), Buffer.from([1, 2, 3]));
    const scanned = await readJournal(journalPath(out));
    expect(scanned!.records.map((r) => r.rowId)).toEqual(allRecords.slice(0, 5).map((r) => r.rowId));
    expect(scanned!.tornBytes).toBeGreaterThan(0);

    const resumed = await openForResume(out, meta());
    expect(resumed.finished.size).toBe(5);
    await resumed.writer.append(allRecords.filter((r) => !resumed.finished.has(r.rowId)));
    const final = await resumed.writer.finish({ expectedRowIds: plan.rows.map((r) => r.rowId) });
    expect(final).toHaveLength(allRecords.length);
    expect(new Set(final.map((r) => r.rowId)).size).toBe(allRecords.length);
  });

  test('a journal torn inside its schema starts over; scan never reads past a torn message', () => {
    const bytes = new Uint8Array([255, 255, 255, 255, 200, 0, 0, 0, 1, 2]);
    expect(scanJournal(bytes)).toEqual({ schemaEnd: 0, goodEnd: 0, batches: 0, rows: 0, tornBytes: 10 });
  });

  test('a journal cut inside its schema starts over; one whose head is damaged is refused and left as it was', async () => {
    const out = join(dir, 'head.arrow');
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords.slice(0, 4));
    await writer.close();
    const whole = readFileSync(journalPath(out));
    // Killed while writing its schema: a prefix of the schema this run writes, no row lost.
    writeFileSync(journalPath(out), whole.subarray(0, 100));
    const fresh = await openForResume(out, meta());
    expect(fresh.finished.size).toBe(0);
    await fresh.writer.close();
    // Four rows behind a damaged first message: replacing it would lose them.
    const damaged = Buffer.from(whole);
    damaged.fill(0x20, 8, 24);
    writeFileSync(journalPath(out), damaged);
    // What it says to do is what works: --overwrite is refused over any journal (ResultWriter.check).
    await expect(openForResume(out, meta())).rejects.toThrow(
      /cannot resume from .*head\.arrow\.partial: its \d+ bytes do not begin with a results journal's schema .* move it away to keep it, or delete it to start the sweep over without it$/,
    );
    await expect(ResultWriter.check(out, { overwrite: true })).rejects.toThrow(/holds an unfinished run/);
    expect(readFileSync(journalPath(out)).equals(damaged)).toBe(true);
  });

  test('resume refuses another spec, model or shard', async () => {
    const out = join(dir, 'mismatch.arrow');
    const writer = await ResultWriter.create(out, meta());
    await writer.append(allRecords.slice(0, 2));
    await writer.close();
    await expect(openForResume(out, meta({ spec: parseSpec({ ...spec, inits: 4 }) }))).rejects.toThrow(
      /cannot resume from .*mismatch\.arrow\.partial: the sweep spec differs/,
    );
    await expect(openForResume(out, meta({ model: { name: 'gpt2', hash: 'ff'.repeat(32) } }))).rejects.toThrow(
      /the model differs/,
    );
    await expect(openForResume(out, meta({ shard: { index: 1, count: 3 } }))).rejects.toThrow(
      /it holds the whole sweep \(no shard\), this run is shard 1\/3/,
    );
    // Where the sweep runs is not part of its identity: another output path or device resumes.
    const ok = await openForResume(out, meta({ spec: parseSpec({ ...spec, device: 'cuda:1', batchSize: 7 }) }));
    expect(ok.finished.size).toBe(2);
    await ok.writer.close();
  });

  test("a journal another version wrote is not continued (its rows and this run's in one file); its finished file is read", async () => {
    const out = join(dir, 'version.arrow');
    const writer = await ResultWriter.create(out, meta({ version: '0.1.9' }));
    await writer.append(allRecords.slice(0, 2));
    await writer.close();
    await expect(openForResume(out, meta())).rejects.toThrow(
      /cannot resume from .*version\.arrow\.partial: it was written by distprompt 0\.1\.9, this is 0\.1\.0, .* finish it with distprompt 0\.1\.9, or delete it to start the sweep over\./,
    );
    // Finished by its own version, the file holds one version's rows: a resume reads them.
    const own = await openForResume(out, meta({ version: '0.1.9' }));
    await own.writer.append(allRecords.slice(2));
    await own.writer.finish();
    const again = await openForResume(out, meta());
    expect(again.finished.size).toBe(allRecords.length);
    await again.writer.close();
  });
});

describe('kill -9 and resume in a real child process', () => {
  const distWriter = join(ROOT, 'dist/lib/results/index.js');
  const distSpec = join(ROOT, 'dist/lib/spec/index.js');
  const distSweep = join(ROOT, 'dist/lib/sweep/index.js');
  const child = join(dir, 'child.mjs');

  beforeAll(() => {
    // The child runs plain node, so it needs the compiled library; rebuild when sources are newer.
    const stale = [
      'results/writer',
      'results/journal',
      'results/convert',
      'results/schema',
      'spec/parse',
      'sweep/planner',
    ].some((f) => {
      const js = join(ROOT, `dist/lib/${f}.js`);
      return !existsSync(js) || statSync(js).mtimeMs < statSync(join(ROOT, `lib/${f}.ts`)).mtimeMs;
    });
    if (stale) {
      const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (!existsSync(distWriter))
        throw new Error(`building dist/ for the child process failed: ${tsc.stdout}${tsc.stderr}`);
    }
    // A stand-in for the tuner: rows "finish" a few at a time, each acknowledged once on disk.
    writeFileSync(
      child,
      `
      import { openForResume, ResultWriter } from ${JSON.stringify(distWriter)};
      import { parseSpec } from ${JSON.stringify(distSpec)};
      import { planSweep } from ${JSON.stringify(distSweep)};
      const [out, mode, delayMs] = process.argv.slice(2);
      const spec = parseSpec(${JSON.stringify(spec)});
      const plan = planSweep(spec, ${VOCAB});
      const meta = { spec, model: { name: 'm', hash: 'h' }, vocabSize: ${VOCAB}, version: '0', build: {} };
      let writer, done = new Set();
      if (mode === 'resume') ({ writer, finished: done } = await openForResume(out, meta));
      else writer = await ResultWriter.create(out, meta);
      const todo = plan.rows.filter((r) => !done.has(r.rowId));
      for (let i = 0; i < todo.length; i += 2) {
        const batch = todo.slice(i, i + 2).map((r) => ({
          rowId: r.rowId, targetId: r.targetId, targetKind: 'vanilla', initId: r.initId, method: r.method, pattern: r.pattern,
          candidates: r.candidates, prefixLength: 5, klNats: (r.seed % 1000) / 1000, bestEpoch: r.seed % 50, epochs: 60,
          stopReason: 'patience', modelEntropyBits: 1, targetEntropyBits: 1, requestedEntropyBits: 1,
          promptIds: [r.seed % 16, 1, 2, 3, 4], softPrompt: Array.from({ length: 64 }, (_, j) => j * 0.5), wallMs: Date.now() % 1000, shardIndex: 0,
        }));
        await writer.append(batch);
        process.stdout.write('ack ' + batch.map((b) => b.rowId).join(',') + '\\n');
        await new Promise((res) => setTimeout(res, Number(delayMs)));
      }
      await writer.finish({ order: plan.rows.map((r) => r.rowId), expectedRowIds: plan.rows.map((r) => r.rowId) });
      process.stdout.write('finished\\n');
    `,
    );
  });

  /** Runs the child; with killAfterAcks it sends SIGKILL after that many acknowledged appends. */
  function runChild(
    out: string,
    mode: string,
    killAfterAcks?: number,
  ): Promise<{ acked: string[]; signal: string | null }> {
    return new Promise((resolvePromise, reject) => {
      const proc = spawn(process.execPath, [child, out, mode, killAfterAcks ? '15' : '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const acked: string[] = [];
      let acks = 0;
      let buf = '';
      let stderr = '';
      proc.stderr.on('data', (d) => (stderr += d));
      proc.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith('ack ')) continue;
          acked.push(...line.slice(4).split(','));
          if (++acks === killAfterAcks) proc.kill('SIGKILL');
        }
      });
      proc.on('error', reject);
      proc.on('close', (code, signal) =>
        code && code !== 0 ? reject(new Error(`child failed (${code}): ${stderr}`)) : resolvePromise({ acked, signal }),
      );
    });
  }

  test('SIGKILL mid-run, then --resume: nothing lost, nothing duplicated, same rows as an uninterrupted run', async () => {
    const clean = join(dir, 'clean.arrow');
    await runChild(clean, 'fresh');
    const reference = await readResults(clean);
    expect(reference.records).toHaveLength(plan.rows.length);

    const out = join(dir, 'killed.arrow');
    const killed = await runChild(out, 'fresh', 9);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(out)).toBe(false); // an interrupted run never leaves <out>
    const journal = await readJournal(journalPath(out));
    const inJournal = new Set(journal!.records.map((r) => r.rowId));
    for (const id of killed.acked) expect(inJournal.has(id)).toBe(true); // every acknowledged row survived
    expect(inJournal.size).toBeLessThan(plan.rows.length);

    const resumed = await runChild(out, 'resume');
    expect(resumed.acked.filter((id) => inJournal.has(id))).toEqual([]); // finished rows are not rerun
    const final = await readResults(out);
    expect(existsSync(journalPath(out))).toBe(false);
    expect(final.records.map((r) => r.rowId)).toEqual(plan.rows.map((r) => r.rowId));
    expect(withoutTiming(final.records)).toEqual(withoutTiming(reference.records));
  });

  test('the file is readable by apache-arrow in a fresh node process', () => {
    const path = join(dir, 'clean.arrow');
    const script = `
      import { tableFromIPC } from 'apache-arrow';
      import { readFileSync } from 'node:fs';
      const t = tableFromIPC(readFileSync(${JSON.stringify(path)}));
      const kl = t.getChild('klNats').toArray();
      console.log(JSON.stringify({ rows: t.numRows, cols: t.schema.fields.map((f) => f.name), specHash: t.schema.metadata.get('distprompt.specHash'),
        klSum: kl.reduce((a, b) => a + b, 0), firstPrompt: Array.from(t.getChild('promptIds').get(0)) }));`;
    const got = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' }),
    );
    const reference = readFileSync(path); // same bytes the in-process reader saw
    expect(reference.length).toBeGreaterThan(0);
    expect(got.rows).toBe(plan.rows.length);
    expect(got.cols).toContain('softPrompt');
    expect(got.specHash).toMatch(/^[0-9a-f]{64}$/);
    const expectedSum = plan.rows.reduce((a, r) => a + (r.seed % 1000) / 1000, 0);
    expect(got.klSum).toBeCloseTo(expectedSum, 9);
    expect(got.firstPrompt).toEqual([plan.rows[0].seed % 16, 1, 2, 3, 4]);
  });

  // Another language's reader: pyarrow, where a Python with it is at hand (DISTPROMPT_PYTHON, a
  // venv in /tmp/pyarrow-venv, or the system python3).
  const python = [process.env.DISTPROMPT_PYTHON, '/tmp/pyarrow-venv/bin/python', 'python3'].find(
    (p) => p && spawnSync(p, ['-c', 'import pyarrow'], { stdio: 'ignore' }).status === 0,
  );
  if (!python)
    console.warn(
      '[results.test] SKIP pyarrow cross-check: no Python with pyarrow (set DISTPROMPT_PYTHON or pip install pyarrow)',
    );
  test.skipIf(!python)('the file is readable by pyarrow (another Arrow implementation)', () => {
    const path = join(dir, 'clean.arrow');
    const script = `
import json, sys, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all()
md = {k.decode(): v.decode() for k, v in t.schema.metadata.items()}
print(json.dumps({"rows": t.num_rows, "klSum": sum(t.column("klNats").to_pylist()), "kl": str(t.schema.field("klNats").type),
  "prompt": str(t.schema.field("promptIds").type), "first": t.column("promptIds")[0].as_py(), "soft": len(t.column("softPrompt")[0].as_py()),
  "text": t.column("promptText").null_count, "spec": json.loads(md["distprompt.spec"])["inits"]}))`;
    const got = JSON.parse(execFileSync(python!, ['-c', script, path], { encoding: 'utf8' }));
    expect(got.rows).toBe(plan.rows.length);
    expect(got.klSum).toBeCloseTo(
      plan.rows.reduce((a, r) => a + (r.seed % 1000) / 1000, 0),
      9,
    );
    expect(got.kl).toBe('double');
    expect(got.prompt).toBe('list<item: int32 not null>');
    expect(got.first).toEqual([plan.rows[0].seed % 16, 1, 2, 3, 4]);
    expect(got.soft).toBe(64);
    expect(got.text).toBe(plan.rows.length);
    expect(got.spec).toBe(3);
  });
});

describe('merge', () => {
  async function writeShard(index: number, count: number, m = meta()): Promise<string> {
    const out = join(dir, `shard-${index}-of-${count}-${m.model.name}.arrow`);
    // As a sweep writes it: each shard's spec names its own file.
    const shardMeta = {
      ...m,
      spec: parseSpec({ ...m.spec, shard: { index, count }, output: out }),
      shard: { index, count },
    };
    const writer = await ResultWriter.create(out, shardMeta, { overwrite: true });
    await writer.append(shardRows(plan.rows, { index, count }).map((r) => recordFor(r, index)));
    await writer.finish();
    return out;
  }

  test('three shards merge into the unsharded set', async () => {
    const paths = [await writeShard(0, 3), await writeShard(1, 3), await writeShard(2, 3)];
    const out = join(dir, 'merged.arrow');
    const report = await mergeResults(paths, out);
    expect(report).toEqual({ out, rows: plan.rows.length, missing: [] });
    const merged = await readResults(out);
    const drop = (r: StoredRunRecord) => ({ ...r, shardIndex: 0 });
    expect(merged.records.map(drop)).toEqual(
      allRecords
        .map(stored)
        .map((r) => r as StoredRunRecord)
        .map(drop),
    );
    expect(merged.metadata.shard).toBeUndefined();
    // the whole sweep's spec: no shard, and the merged file as its output (not shard 0's file)
    expect(merged.metadata.spec.shard).toBeUndefined();
    expect(merged.metadata.spec.output).toBe(out);
    expect(merged.metadata.specHash).toBe((await readResults(paths[0])).metadata.specHash);
  });

  test('refuses mismatched specs, other models, overlaps and gaps', async () => {
    const a = await writeShard(0, 2);
    const b = await writeShard(1, 2);
    const out = join(dir, 'bad-merge.arrow');
    // The shard to run or give is named: every file says which shard of how many it is.
    await expect(mergeResults([a], out)).rejects.toThrow(
      /planned row\(s\) are in no file \(shard 1\/2 is not among the files\)/,
    );
    expect(existsSync(out)).toBe(false);
    await expect(mergeResults([a], out, { allowMising: true } as never)).rejects.toThrow(
      /mergeResults: unknown option 'allowMising' \(known: expectedRowIds, plan, allowMissing, overwrite\)/,
    );
    expect(existsSync(out)).toBe(false);
    expect((await mergeResults([a], out, { allowMissing: true })).missing.length).toBe(
      shardRows(plan.rows, { index: 1, count: 2 }).length,
    );
    await expect(mergeResults([a, b, a], join(dir, 'dup.arrow'))).rejects.toThrow(
      /cannot merge: \S+shard-0-of-2\S+ is given twice: give each shard once/,
    );
    const copy = join(dir, 'copy-of-shard-0.arrow');
    copyFileSync(a, copy);
    await expect(mergeResults([a, b, copy], join(dir, 'dup.arrow'))).rejects.toThrow(
      /row\(s\) appear in more than one file: \S+\|init=\d\|\S+ \(in \S+shard-0-of-2\S+ and \S+copy-of-shard-0.*; \S+copy-of-shard-0\.arrow is shard 0\/2, as \S+shard-0-of-2\S+ is: give each shard once$/,
    );
    const other = await writeShard(1, 2, meta({ spec: parseSpec({ ...spec, seed: 5 }) }));
    await expect(mergeResults([a, other], join(dir, 'x.arrow'))).rejects.toThrow(
      /cannot merge \S+ with \S+: the sweep spec differs/,
    );
    const otherModel = await writeShard(1, 2, meta({ model: { name: 'gpt2', hash: 'cd'.repeat(32) } }));
    await expect(mergeResults([a, otherModel], join(dir, 'y.arrow'))).rejects.toThrow(
      /the model differs \(gpt2 cdcdcdcdcdcd… in \S+, /,
    );
    // One file names one version: shards of two are not merged into it.
    const older = await writeShard(1, 2, meta({ version: '0.1.9', model: { ...meta().model, name: 'older' } }));
    await expect(mergeResults([a, older], join(dir, 'v.arrow'))).rejects.toThrow(
      /cannot merge \S+ with \S+: they were written by distprompt 0\.1\.9 and 0\.1\.0: run every shard with one version$/,
    );
    await expect(mergeResults([], join(dir, 'z.arrow'))).rejects.toThrow(/at least one results file/);
  });
});
