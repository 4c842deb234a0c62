// How the tuner's rate scales: marginal row-steps/s (bench/tune-rate.ts), achieved GFLOP/s as a
// fraction of the best plain matmul of this run, and memory per row, against
//   batch size   (each --models model, 1 … 4096),
//   prompt length (positions 1, 5, 10, 20; on --series-model, default the last of --models),
//   vocabulary   (--series-model's preset rebuilt with other vocab sizes).
// Model size is bench/tune.ts. A batch series stops early, and says why, when the next batch
// would take longer than --limit-s or need more than half the free memory.
// Flags: node dist/bench/scaling.js --help.

import { loadModel } from '../lib/model/load.js';
import type { Model } from '../lib/model/model.js';
import { PRESETS, getPreset } from '../lib/model/presets.js';
import { freeDeviceBytes } from '../lib/model/memory.js';
import { deviceTag, memoryProbe, mib, save, yardstick, yardstickTable } from './common.js';
import { args, DEVICE, DTYPE, modelsFlag, OUT_DIR, QUICK } from './flags.js';
import { fmt, measureRate, pct, predictSeconds, RATE_FLAGS, type RatePoint } from './tune-rate.js';

const a = args('scaling.js', {
  ...modelsFlag({ default: 'random:micro,random:demo' }, 'the models of the batch series'),
  '--series': {
    takes: 'list',
    default: 'batch,positions,vocab',
    oneOf: ['batch', 'positions', 'vocab'],
    about: 'the series to run',
  },
  '--series-model': {
    takes: 'text',
    otherwise: 'the last of --models',
    needs: { '--series': ['positions', 'vocab'] },
    about: 'the model of the positions and vocab series',
  },
  ...DEVICE,
  ...DTYPE,
  '--batch': {
    takes: 'number',
    default: 64,
    quick: 16,
    needs: { '--series': ['positions', 'vocab'] },
    about: 'rows per batch in the positions and vocab series',
  },
  '--batches': {
    takes: 'numbers',
    default: '1,4,16,64,256,1024,4096',
    needs: { '--series': 'batch' },
    about: 'the batch series',
  },
  '--positions-list': {
    takes: 'numbers',
    default: '1,5,10,20',
    needs: { '--series': 'positions' },
    about: 'the positions series',
  },
  '--vocabs': {
    takes: 'numbers',
    default: '1000,8000,32000,50257,128256',
    quick: '1000,50257',
    needs: { '--series': 'vocab' },
    about: 'the vocab series',
  },
  '--limit-s': {
    takes: 'number',
    default: 120,
    quick: 6,
    needs: { '--series': 'batch' },
    about: 'a batch series stops before a batch predicted slower',
  },
  '--epochs': { takes: 'number', default: 2, about: 'E1, the shorter call' },
  ...RATE_FLAGS,
  ...QUICK,
  ...OUT_DIR,
});
const quick = a.has('--quick');
const device = a.text('--device');
const dtype = a.word('--dtype');
const models = a.list('--models');
const seriesModel = a.has('--series-model') ? a.text('--series-model') : models.at(-1)!;
const series = a.list('--series');
const batch = a.num('--batch');
const limitSeconds = a.num('--limit-s');
const epochs = a.num('--epochs');
const extraEpochs = a.num('--extra-epochs');
const minDeltaSeconds = a.num('--min-delta-s');
const reps = a.num('--reps');
const batches = a.nums('--batches');
const positionsList = a.nums('--positions-list');
const vocabs = a.nums('--vocabs');

const yard = await yardstick(device, dtype, quick);
const out: Record<string, unknown> = { dtype, limitSeconds, yardstick: yard };
const table: string[] = [...yardstickTable(yard)];
const row = (label: string | number, p: RatePoint) =>
  `| ${label} | ${fmt(p.marginalRowStepsPerSecond)} | ${fmt(p.endToEndRowStepsPerSecond)} | ${fmt(p.achievedGflops)} | ${pct(p.fractionOfMatmul)} | ${mib(p.memoryPerRowBytes)} |`;
const head = (what: string) => [
  `| ${what} | marginal row-steps/s | end-to-end | GFLOP/s | of matmul | MiB/row |`,
  '|---|---|---|---|---|---|',
];
const opts = (rows: number, positions = 5) => ({
  rows,
  batchSize: rows,
  positions,
  epochs,
  extraEpochs,
  minDeltaSeconds,
  reps,
});

async function withModel<T>(name: string, fn: (m: Model) => Promise<T>): Promise<T> {
  const m = await loadModel(name, { device, dtype, tokenizer: false });
  try {
    return await fn(m);
  } finally {
    m.dispose();
    memoryProbe(device).release();
  }
}

if (series.includes('batch')) {
  const all: Record<string, unknown>[] = [];
  for (const name of models) {
    const points: RatePoint[] = [];
    let stopped: string | null = null;
    await withModel(name, async (model) => {
      for (const b of batches) {
        const last = points.at(-1);
        if (last) {
          const secs = predictSeconds(opts(b), last.endToEndRowStepsPerSecond);
          if (secs > limitSeconds) {
            stopped = `stopped before batch ${b}: predicted ${secs.toFixed(0)} s > --limit-s ${limitSeconds}`;
            break;
          }
          const bytes = last.memoryPerRowBytes * b;
          if (bytes > 0.5 * freeDeviceBytes(device)) {
            stopped = `stopped before batch ${b}: needs ~${mib(bytes)} MiB, over half the ${mib(freeDeviceBytes(device))} MiB free`;
            break;
          }
        }
        try {
          const p = await measureRate(model, opts(b), yard);
          points.push(p);
          if (p.warnings.length) {
            stopped = `stopped after batch ${b}: ${p.warnings.join('; ')}`;
            break;
          }
        } catch (e) {
          stopped = `stopped at batch ${b}: ${(e as Error).message.split('\n')[0]}`;
          break;
        }
      }
    });
    all.push({ model: name, points, stopped });
    table.push(
      '',
      `Against batch size — ${name} (5 positions)`,
      '',
      ...head('batch'),
      ...points.map((p) => row(p.batchSize, p)),
    );
    if (stopped) table.push(`(${stopped})`);
  }
  out.batch = all;
}

if (series.includes('positions')) {
  const name = seriesModel;
  const points = await withModel(name, async (model) => {
    const ps: RatePoint[] = [];
    for (const P of positionsList) ps.push(await measureRate(model, opts(batch, P), yard));
    return ps;
  });
  out.positions = { model: name, batchSize: batch, points };
  table.push(
    '',
    `Against prompt length — ${name}, batch ${batch}`,
    '',
    ...head('positions'),
    ...points.map((p) => row(p.positions, p)),
  );
}

if (series.includes('vocab')) {
  const name = seriesModel;
  const base = name.startsWith('random:') ? name.slice('random:'.length) : undefined;
  if (!base) {
    out.vocab = { skipped: `${name} is not a random:<preset>, so its vocabulary cannot be changed` };
    table.push('', `Against vocabulary: skipped (${name} is not a random:<preset>)`);
  } else {
    const points: (RatePoint & { vocabSize: number })[] = [];
    for (const V of vocabs) {
      // loadModel takes no config overrides, so register the same architecture under a bench-only
      // preset name with the vocabulary replaced (random weights: only shapes matter here).
      const preset = getPreset(base);
      const key = `bench-${base}-v${V}`;
      PRESETS[key] = {
        hfConfig: { ...preset.hfConfig, vocab_size: V },
        about: `${base} with a ${V}-token vocabulary (bench only)`,
      };
      points.push({ vocabSize: V, ...(await withModel(`random:${key}`, (m) => measureRate(m, opts(batch), yard))) });
    }
    out.vocab = { base: name, batchSize: batch, points };
    table.push(
      '',
      `Against vocabulary size — ${name}'s architecture, batch ${batch}`,
      '',
      ...head('vocab'),
      ...points.map((p) => row(p.vocabSize, p)),
    );
  }
}

save(`scaling-${deviceTag(device)}`, out, table);
