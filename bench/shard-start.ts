// What a sweep's start costs where the shard files of a large sweep lie beside its output: the
// steps that tell whose shards they are (their spec hash), timed as a run meets them. Two shards
// of --rows rows each (250,000; --quick 20,000), rows as bench/results-rows.ts makes them, written
// by the library's writer, then: (merge) both run again after a merge of them, which the start
// merges; (set) the same with no merged file, which the start merges; (interrupted) the output not there, shard 1 an interrupted journal, which the start
// refuses to run whole over; (leftovers) both older than the merged file, as a run over --devices
// killed before removing them leaves them, told apart from this sweep's (another sweep's hash here,
// so that they stay for the next repetition: the reads are the same). Median of --reps (3) after
// one warm-up; the files in the page cache, as a run that has just written them finds them.
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { journalPath, resultFileBytes } from '../lib/results/index.js';
import { removeMergedShards, shardFile } from '../lib/run/shards.js';
import { sweepStart } from '../lib/run/start.js';
import { timeIt } from './common.js';
import { args, QUICK } from './flags.js';
import { journalBytes, SAMPLE_META, sampleShardMeta, sampleShardRecords } from './results-rows.js';

const a = args('shard-start.js', {
  '--rows': { takes: 'number', default: 250_000, quick: 20_000, about: 'rows in each of the two shards' },
  '--reps': { takes: 'number', default: 3, about: 'runs of each step timed (the median), after one warm-up' },
  ...QUICK,
});
const rows = a.num('--rows');
const reps = a.num('--reps');
const dir = mkdtempSync(join(tmpdir(), 'distprompt-bench-shard-start-'));

const spec = { ...SAMPLE_META.spec, output: join(dir, 'r.arrow') };
const shards = [0, 1].map((index) => shardFile(spec.output, index, 2));

/** Shard 1's rows as an interrupted run leaves them: its journal, in batches of 1,000 rows. */
const writeJournal = () =>
  writeFileSync(
    journalPath(shards[1]),
    journalBytes(sampleShardMeta(spec.output, 1), sampleShardRecords(1, rows), 1000),
  );

/** Sets each shard's times `seconds` from the output's. */
function stamp(seconds: number): void {
  const t = statSync(spec.output).mtimeMs / 1000 + seconds;
  for (const f of shards) utimesSync(f, t, t);
}

/** Median milliseconds of --reps runs of `step` after one warm-up. */
const median = async (step: () => Promise<unknown>): Promise<number> => (await timeIt(step, reps)) * 1000;

try {
  for (const index of [0, 1])
    writeFileSync(shards[index], resultFileBytes(sampleShardMeta(spec.output, index), sampleShardRecords(index, rows)));
  writeFileSync(spec.output, resultFileBytes(SAMPLE_META, []));
  const mb = (f: string) => (statSync(f).size / 1e6).toFixed(0);
  console.log(`shards of ${rows} rows each: ${shards.map(mb).join(' MB, ')} MB`);

  stamp(10);
  const merge = await median(async () => {
    const start = await sweepStart(spec, { resume: true, modelIdentity: SAMPLE_META.model.hash });
    if (start.state !== 'mergeable') throw new Error(`the start is ${start.state}, not mergeable`);
  });
  console.log(`merge (shards run again after a merge): ${merge.toFixed(0)} ms`);

  rmSync(spec.output);
  const set = await median(async () => {
    const start = await sweepStart(spec);
    if (start.state !== 'mergeable') throw new Error(`the start is ${start.state}, not mergeable`);
  });
  console.log(`set (every shard, no merged file): ${set.toFixed(0)} ms`);
  writeFileSync(spec.output, resultFileBytes(SAMPLE_META, []));

  stamp(-10);
  const leftovers = await median(() => removeMergedShards(spec.output, 2, 'another sweep'));
  console.log(`leftovers (told from their spec hash): ${leftovers.toFixed(0)} ms`);

  writeJournal();
  rmSync(shards[1]);
  rmSync(spec.output);
  console.log(`shard 1's journal: ${mb(journalPath(shards[1]))} MB`);
  const interrupted = await median(() =>
    sweepStart(spec).then(
      () => {
        throw new Error('the start went on over an interrupted shard');
      },
      (e: unknown) => {
        if (!String(e).includes('not every one of the 2 has finished')) throw e;
      },
    ),
  );
  console.log(`interrupted (refused, shard 1 unfinished): ${interrupted.toFixed(0)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
