// A sweep from a script: vanilla targets over the model's whole entropy range, searched by soft
// prompts and by hard ones (HotFlip, 4 candidates), followed through progress events, with Ctrl-C
// as a clean stop; then the results file read back into each method's mean KL per 1-bit entropy
// bin, and the hardest target made again from its row's targetId (synthesizeTargets gives the
// ids and values a sweep with the same entry and seed gives).
//
//   npm run build && npx tsc -p examples/library && node dist/examples/library/sweep.js [model] [output]
//
// model: as loadModel takes it (default random:micro, seconds on a CPU); output: the results
// file (default results-example.arrow). Ctrl-C stops after the current step and keeps every
// finished row in <output>.partial (exit 130; a second Ctrl-C ends the process at once, and the
// journal still holds every row it had); the same command again resumes there, and once the
// file is finished reads it rather than running again.
import { EventEmitter } from 'node:events';
import {
  entropyBits,
  exitCodeFor,
  loadModel,
  readResults,
  runSweep,
  synthesizeTargets,
  type StoredRunRecord,
  type SweepProgress,
  type SweepSpecInput,
} from 'distprompt';

const [name = 'random:micro', output = 'results-example.arrow', ...extra] = process.argv.slice(2);
if (extra.length > 0) {
  console.error('usage: sweep.js [model] [output]');
  process.exit(2);
}

// A reader that closes early (`| head -3`) leaves the rest of the output unread: it is dropped, as the
// command line drops it, where the EPIPE error, unheard, would end the script with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

const target = { kind: 'vanilla', entropyBits: '0:max:0.5', method: 'temperature' } as const;
const seed = 0;
const spec: SweepSpecInput = {
  model: name,
  targets: [target],
  methods: [{ method: 'soft' }, { method: 'hard', candidates: 4 }],
  inits: 2,
  maxEpochs: 100,
  bound: false, // the head bound: bound.ts
  seed,
  output,
};

/** A method's mean difficulty (a target's lowest KL over its inits) per 1-bit entropy bin. */
function meanKlByBin(records: StoredRunRecord[], method: string): Map<number, number> {
  const best = new Map<string, StoredRunRecord>();
  for (const r of records.filter((r) => r.method === method)) {
    const seen = best.get(r.targetId);
    if (!seen || r.klNats < seen.klNats) best.set(r.targetId, r);
  }
  const bins = new Map<number, number[]>();
  for (const r of best.values()) {
    const bin = Math.floor(r.targetEntropyBits);
    bins.set(bin, [...(bins.get(bin) ?? []), r.klNats]);
  }
  return new Map([...bins].map(([bin, kls]) => [bin, kls.reduce((a, b) => a + b) / kls.length]));
}

const controller = new AbortController();
process.once('SIGINT', () => {
  console.error('interrupted: finishing the current step and keeping every finished row');
  controller.abort();
});

const events = new EventEmitter();
events.on('log', (line: string) => console.error(line));
// Warnings (a row below its head bound, the batch halved on out of memory, …) come apart from log lines.
events.on('warning', (line: string) => console.error(`warning: ${line}`));
let shown = '';
events.on('progress', (p: SweepProgress) => {
  // A progress event comes after every tuning step: print each method's start and every 10%.
  const line = `${p.method}: ${Math.floor((10 * p.sweepRowsDone) / p.sweepRowsTotal) * 10}% of the sweep's rows`;
  if (line !== shown) console.error((shown = line));
});

try {
  const model = await loadModel(name, { device: 'cpu' });
  try {
    // resume: continue an interrupted run's journal or read a finished file; else start afresh.
    const summary = await runSweep(spec, { model, resume: true, figures: false, signal: controller.signal }, events);
    if (summary.interrupted) {
      const kept = summary.rowsRun + summary.rowsResumed + summary.rowsShared;
      // A run stopped before its first row leaves no journal: there is nothing to point to.
      console.error(
        kept === 0 ? 'no row had finished: nothing was kept' : `${kept} finished rows kept in ${output}.partial`,
      );
      process.exitCode = 130;
    } else {
      const { records } = await readResults(summary.output);
      console.log(`${records.length} rows in ${summary.output} (${summary.rowsResumed} resumed)`);
      const [soft, hard] = [meanKlByBin(records, 'soft'), meanKlByBin(records, 'hard')];
      console.log('entropy bits\tsoft klNats\thard klNats');
      for (const bin of [...soft.keys()].sort((a, b) => a - b))
        console.log(`${bin}-${bin + 1}\t${soft.get(bin)?.toFixed(4)}\t${hard.get(bin)?.toFixed(4)}`);

      // The hardest target of the soft search, made again from its id.
      const hardest = records.filter((r) => r.method === 'soft').sort((a, b) => b.klNats - a.klNats)[0];
      const set = await synthesizeTargets(model, { ...target, seed });
      const row = set.meta.findIndex((m) => m.id === hardest.targetId);
      const p = set.toArray().subarray(row * model.info.vocabSize, (row + 1) * model.info.vocabSize);
      set.dispose();
      console.log(
        `hardest for soft prompts: ${hardest.targetId} (${hardest.klNats.toFixed(4)} nats), ` +
          `${entropyBits(p).toFixed(3)} bits, its top token's probability ${Math.max(...p).toFixed(4)}`,
      );
    }
  } finally {
    model.dispose();
  }
} catch (e) {
  // The library's errors name what was wrong and what to do: the message is enough, without a stack.
  // The exit code is the CLI's for the same error: 2 for input to change, 1 for a machine's fault.
  console.error(`sweep: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = exitCodeFor(e);
}
