// Tuning without a sweep: a handful of targets made with synthesizeTargets, searched by soft
// prompts (AdamW on embeddings) and by hard ones (HotFlip over tokens) from the same seeds,
// followed through tune()'s typed events; then each target's best KL by both searches, side by
// side. A hard prompt is a soft one restricted to token embeddings, so soft prompts should reach
// the lower KL (the study's soft < hard).
//
//   npm run build && npx tsc -p examples/library && node dist/examples/library/tune.js [model]
//
// model: as loadModel takes it (default random:micro, seconds on a CPU).
import { exitCodeFor, loadModel, synthesizeTargets, tune, type TuneOptions, type TuneRecord } from 'distprompt';

const [name = 'random:micro', ...extra] = process.argv.slice(2);
if (extra.length > 0) {
  console.error('usage: tune.js [model]');
  process.exit(2);
}

// A reader that closes early (`| head -3`) leaves the rest of the output unread: it is dropped, as the
// command line drops it, where the EPIPE error, unheard, would end the script with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

/** Each target's lowest KL over its inits. */
function bestByTarget(records: TuneRecord[]): Map<string, TuneRecord> {
  const best = new Map<string, TuneRecord>();
  for (const r of records) {
    const seen = best.get(r.targetId);
    if (!seen || r.klNats < seen.klNats) best.set(r.targetId, r);
  }
  return best;
}

try {
  const model = await loadModel(name, { device: 'cpu' });
  try {
    // Targets every 2 bits from 1 to 'max', log2 of the vocabulary (included), by temperature.
    const targets = await synthesizeTargets(model, { kind: 'vanilla', entropyBits: '1:max:2', method: 'temperature' });
    const shared: Omit<TuneOptions, 'method'> = { targets, prefixLength: 5, inits: 2, maxEpochs: 100 };

    const searches = { soft: { method: 'soft' }, hard: { method: 'hard', candidates: 4 } } as const;
    const best = new Map<string, Map<string, TuneRecord>>();
    for (const [label, method] of Object.entries(searches)) {
      const run = tune(model, { ...shared, ...method });
      // Each event's value is typed: p is a TuneProgress, r a TuneRecord, m the warning's text.
      const stops = new Map<string, number>();
      run.on('row', (r) => stops.set(r.stopReason, (stops.get(r.stopReason) ?? 0) + 1));
      let pace = '';
      run.on('progress', (p) => (pace = `${p.rowStepsPerSecond.toFixed(0)} row-steps/s`));
      run.on('warning', (m) => console.error(`${label}: warning: ${m}`));
      best.set(label, bestByTarget(await run));
      console.error(`${label}: ${[...stops].map(([why, n]) => `${n} stopped by ${why}`).join(', ')}; ${pace}`);
    }

    console.log('target\tentropy bits\tsoft klNats\thard klNats\thard prompt');
    for (const meta of targets.meta) {
      const soft = best.get('soft')!.get(meta.id)!;
      const hard = best.get('hard')!.get(meta.id)!;
      // The best hard prompt as text, where the model has a tokenizer to decode it.
      const prompt = hard.promptText === null ? `ids ${hard.promptIds.join(' ')}` : JSON.stringify(hard.promptText);
      console.log(
        `${meta.id}\t${meta.entropyBits.toFixed(3)}\t${soft.klNats.toFixed(4)}\t${hard.klNats.toFixed(4)}\t${prompt}`,
      );
    }
    targets.dispose();
  } finally {
    model.dispose();
  }
} catch (e) {
  // The library's errors name what was wrong and what to do: the message is enough, without a stack.
  // The exit code is the CLI's for the same error: 2 for input to change, 1 for a machine's fault.
  console.error(`tune: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = exitCodeFor(e);
}
