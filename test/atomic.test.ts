// Nothing half-written where a finished file is expected: the one atomic-write helper, the
// results journal on a full disk, and the figures and report, on real (tiny) file systems.
// A full disk is a tmpfs of a few pages and a read-only one a tmpfs mounted ro; mounting needs
// root, so without it those cases are skipped with a notice.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { FileError } from '../lib/io/fs-error.js';
import { removeStaleTemporaries, writeAtomic } from '../lib/io/atomic.js';
import {
  journalPath,
  openForResume,
  readJournal,
  readResults,
  ResultWriter,
  type ResultMetadata,
  type RunRecord,
} from '../lib/results/index.js';
import { plotAll, report } from '../lib/plot/index.js';
import { parseSpec } from '../lib/spec/index.js';
import { planSweep } from '../lib/sweep/index.js';

const dir = mkdtempSync(join(tmpdir(), 'distprompt-atomic-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh tmpfs of `size` (e.g. '16k'), read-only with ro; null when this process may not mount. */
function tmpfs(size: string, ro = false): string | null {
  const at = mkdtempSync(join(dir, 'fs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `${ro ? 'ro,' : ''}size=${size}`, 'tmpfs', at], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return null;
  mounts.push(at);
  return at;
}
const canMount = (() => {
  const at = tmpfs('4k');
  if (!at) console.warn('atomic.test: cannot mount a tmpfs (not root?): full-disk and read-only cases skipped');
  return at !== null;
})();

const VOCAB = 16;
const spec = parseSpec({
  targets: [{ kind: 'vanilla', entropyBits: '0:max:0.5' }],
  inits: 3,
  methods: [{ method: 'soft' }],
});
const plan = planSweep(spec, VOCAB);
const meta: ResultMetadata = {
  spec,
  model: { name: 'random:micro', hash: 'cd34'.repeat(16) },
  vocabSize: VOCAB,
  version: '0.1.0',
  build: null,
};
const records: RunRecord[] = plan.rows.map((row) => {
  const target = plan.targets.find((t) => t.targetId === row.targetId)!;
  const h = (target.params as { entropyBits: number }).entropyBits;
  return {
    rowId: row.rowId,
    targetId: row.targetId,
    targetKind: 'vanilla',
    initId: row.initId,
    method: row.method,
    pattern: row.pattern,
    candidates: row.candidates,
    prefixLength: 5,
    klNats: 0.1 + Math.sin(h) ** 2 + row.initId / 100,
    bestEpoch: 40,
    epochs: 60,
    stopReason: 'patience',
    modelEntropyBits: h * 0.9,
    targetEntropyBits: h,
    requestedEntropyBits: h,
    promptIds: null,
    promptText: null,
    softPrompt: new Float32Array(64).fill(0.5),
    wallMs: 10,
    shardIndex: 0,
    outliers: null,
    outlierMass: null,
    m: null,
    targetParams: '{}',
  };
});
const order = plan.rows.map((r) => r.rowId);

/** Fills a file system to its last byte, so the next write fails with ENOSPC. */
function fill(at: string): void {
  const chunk = Buffer.alloc(1024);
  for (let i = 0; ; i++) {
    try {
      writeFileSync(join(at, `filler-${i}`), chunk);
    } catch {
      break;
    }
  }
}

describe('writeAtomic', () => {
  test('writes the whole file; a failure leaves the old file and no temporary, naming the path', async () => {
    const path = join(dir, 'a.json');
    await writeAtomic(path, '{"x":1}');
    expect(readFileSync(path, 'utf8')).toBe('{"x":1}');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const err = await writeAtomic(folder, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as FileError).code).toBe('EISDIR');
    expect((err as Error).message).toContain(`${folder} is a directory, not a file`);
    const missing = await writeAtomic(join(dir, 'no-such-folder', 'b.json'), 'x').catch((e: unknown) => e);
    expect((missing as FileError).code).toBe('ENOENT');
    expect((missing as Error).message).toMatch(/no-such-folder.*no such file or folder/);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test("stale temporaries of dead writers are removed, a live writer's kept", async () => {
    const path = join(dir, 'stale.arrow');
    // A pid far above pid_max is never alive.
    const dead = `${path}.tmp-999999999-1700000000000`;
    const live = `${path}.tmp-${process.pid}-${Date.now()}`; // begun by this process
    // This pid, begun long before this process started: a pid reused (a restarted container).
    const reused = `${path}.tmp-${process.pid}-1700000000000`;
    const other = join(dir, 'other.arrow.tmp-999999999-1');
    for (const f of [dead, live, reused, other]) writeFileSync(f, 'half');
    expect((await removeStaleTemporaries(path)).sort()).toEqual([dead, reused].sort());
    expect([existsSync(dead), existsSync(live), existsSync(reused), existsSync(other)]).toEqual([
      false,
      true,
      false,
      true,
    ]);
    await writeAtomic(join(dir, 'other.arrow'), 'whole'); // a write cleans its own name too
    expect(existsSync(other)).toBe(false);
  });

  test.skipIf(!canMount)(
    'full disk: ENOSPC names the file; the old file stays whole, no temporary is left',
    async () => {
      const at = tmpfs('8k')!;
      const path = join(at, 'figure.svg');
      await writeAtomic(path, 'old');
      const err = await writeAtomic(path, 'y'.repeat(64 * 1024)).catch((e: unknown) => e);
      expect((err as FileError).code).toBe('ENOSPC');
      expect((err as Error).message).toContain(`disk full (ENOSPC) while writing ${path}`);
      expect(readFileSync(path, 'utf8')).toBe('old');
      expect(readdirSync(at)).toEqual(['figure.svg']);
    },
  );

  test.skipIf(!canMount)('read-only file system: EROFS names the file', async () => {
    const at = tmpfs('8k', true)!;
    const err = await writeAtomic(join(at, 'r.html'), 'x').catch((e: unknown) => e);
    expect((err as FileError).code).toBe('EROFS');
    expect((err as Error).message).toContain(`${join(at, 'r.html')} is on a read-only file system`);
  });
});

describe('results on a full disk', () => {
  test.skipIf(!canMount)(
    'a failed append says disk full and keeps the rows before it; --resume after freeing space completes',
    async () => {
      const at = tmpfs('64k')!;
      const out = join(at, 'r.arrow');
      const writer = await ResultWriter.create(out, meta);
      await writer.append(records.slice(0, 3));
      fill(at);
      const err = await writer.append(records.slice(3, 6)).catch((e: unknown) => e);
      expect((err as FileError).code).toBe('ENOSPC');
      expect((err as Error).message).toContain(`disk full (ENOSPC) while writing ${journalPath(out)}`);
      expect((err as Error).message).toContain(
        `the 3 row(s) finished before it are kept in ${journalPath(out)}: rerun with { resume: true }`,
      );
      // Poisoned: a later append and finish give the same error rather than a gap in the journal.
      await expect(writer.append(records.slice(6, 7))).rejects.toBe(err);
      await expect(writer.finish({ order })).rejects.toBe(err);
      await writer.close();
      for (const f of readdirSync(at).filter((n) => n.startsWith('filler-'))) rmSync(join(at, f));
      const resumed = await openForResume(out, meta);
      expect([...resumed.finished].sort()).toEqual(order.slice(0, 3).sort());
      await resumed.writer.append(records.filter((r) => !resumed.finished.has(r.rowId)));
      await resumed.writer.finish({ order, expectedRowIds: order });
      expect((await readResults(out)).records.map((r) => r.rowId)).toEqual(order);
    },
  );

  test.skipIf(!canMount)(
    'the final write failing keeps every row in the journal and leaves no results file',
    async () => {
      const at = tmpfs('64k')!;
      const out = join(at, 'r.arrow');
      const writer = await ResultWriter.create(out, meta);
      await writer.append(records);
      fill(at);
      const err = await writer.finish({ order, expectedRowIds: order }).catch((e: unknown) => e);
      expect((err as FileError).code).toBe('ENOSPC');
      expect((err as Error).message).toContain(
        `all ${records.length} rows are kept in ${journalPath(out)}: rerun with { resume: true }`,
      );
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(at).some((n) => n.includes('.tmp-'))).toBe(false);
      expect((await readJournal(journalPath(out)))!.records).toHaveLength(records.length);
    },
  );

  test('a run abandoned before its first row leaves no journal; one with rows keeps it', async () => {
    const empty = join(dir, 'empty.arrow');
    await (await ResultWriter.create(empty, meta)).abandon();
    expect(existsSync(journalPath(empty))).toBe(false);
    const some = join(dir, 'some.arrow');
    const w = await ResultWriter.create(some, meta);
    await w.append(records.slice(0, 2));
    await w.abandon();
    expect((await readJournal(journalPath(some)))!.records).toHaveLength(2);
  });
});

describe('figures and report', () => {
  test.skipIf(!canMount)('on a full disk they fail naming the file and leave no truncated SVG or HTML', async () => {
    const at = tmpfs('16k')!;
    fill(at);
    const err = await plotAll(records, at).catch((e: unknown) => e);
    expect((err as FileError).code).toBe('ENOSPC');
    expect((err as Error).message).toMatch(/disk full \(ENOSPC\) while writing .*\.svg/);
    const html = join(at, 'report.html');
    const rerr = await report(records, html).catch((e: unknown) => e);
    expect((rerr as FileError).code).toBe('ENOSPC');
    expect(readdirSync(at).filter((n) => !n.startsWith('filler-'))).toEqual([]);
  });
});
