// The profile mode of bench/tune.ts (`--profile`): where the time of an epoch goes. A few eager
// epochs (no CUDA graph: see `run` below) of tune() at the auto batch run under the addon's op
// observer (native/addon/profile_ops.cc); each libtorch op's self time is put in a part of the
// epoch by its phase and name, and each part is set against its floor: the FLOPs it must do at
// this run's best matmul rate, and the bytes it must move (the weights once per pass, the
// vocabulary-wide buffers of the head and KL) at the memory bandwidth: a large copy on the
// device, measured in the same run, not a nominal figure (an H100's and an H200's differ by 40%;
// --bandwidth-gbs sets one). Time in no libtorch op is the addon's own kernels (the fused KL) and
// the host.
import { loadModel } from '../lib/model/load.js';
import type { ModelInfo } from '../lib/model/model.js';
import type { ProfiledOp } from '../lib/native/types-bench.js';
import type { ResolvedMethod } from '../lib/spec/methods.js';
import { autoBatchSize } from '../lib/tune/batch-size.js';
import { flopsPerRowEpoch, forwardFlops } from '../lib/tune/flops.js';
import { tune } from '../lib/tune/index.js';
import { benchNative, copyBandwidthGbs, deviceTag, memoryProbe, save, yardstick, yardstickTable } from './common.js';
import { methodBenchArgs } from './method-args.js';
import { rampTargets } from './tune-rate.js';

const { a, quick, device, dtype, models, positions, methods } = methodBenchArgs({
  script: 'tune.js --profile',
  models: 'random:demo,random:gpt2',
  quickModels: 'random:micro',
  methods: 'soft',
  flags: {
    '--profile': { about: 'this profile (tune.js runs it when given --profile)' },
    '--batch': { takes: 'number', otherwise: 'the auto batch, 16 at most with --quick', about: 'rows per batch' },
    '--epochs': { takes: 'number', default: 3, quick: 2, about: 'epochs profiled' },
    '--no-sync': { about: 'on a GPU, no synchronising after each op' },
    '--bandwidth-gbs': {
      takes: 'number',
      otherwise: 'a large copy measured in this run',
      about: 'the memory floor, GB/s',
    },
  },
});
const epochs = a.num('--epochs');
const sync = device !== 'cpu' && !a.has('--no-sync');

const bandwidth = a.has('--bandwidth-gbs') ? a.num('--bandwidth-gbs') : await copyBandwidthGbs(device);

/** The part of an epoch an op belongs to. */
function partOf(op: ProfiledOp): string {
  if (op.phase === 'backward') return 'backward (input gradient)';
  if (op.phase === 'other') return "no grad: AdamW, HotFlip, candidates, bookkeeping, the rows' first loss";
  const n = op.name.replace(/^aten::/, '');
  if (/^(mm|addmm|bmm|matmul|linear|baddbmm|_addmm_activation)$/.test(n)) return 'forward GEMMs (qkv, out, MLP, head)';
  if (/attention|softmax|_flash|_efficient/.test(n)) return 'forward attention';
  if (/norm|rsqrt|^pow$|^mean$|^var/.test(n)) return 'forward norms';
  if (/silu|gelu|tanh|sigmoid/.test(n)) return 'forward activations';
  if (/embedding|index|gather|cat|stack|slice|neg|narrow|select|copy|expand|clone|contiguous|^to$|_to_copy/.test(n))
    return 'forward embedding assembly, rope, copies';
  if (/log|exp|kl|sum|sub|div|where/.test(n)) return 'forward KL and reductions';
  return 'forward other elementwise';
}

interface Part {
  part: string;
  msPerEpoch: number;
  share: number;
  floorMs: number | null;
  floorOf: string;
}

/** FLOP and byte floors of the parts with one, per epoch of `rows` rows. */
function floors(info: ModelInfo, m: ResolvedMethod, rows: number, peakGflops: number): Map<string, [number, string]> {
  const actBytes = info.dtype === 'float32' ? 4 : 2;
  const weightBytes = info.parameters * actBytes;
  const passes = m.method === 'soft' ? 1 : positions;
  const flopMs = (f: number) => (f / (peakGflops * 1e9)) * 1e3;
  const byteMs = (b: number) => (b / (bandwidth * 1e9)) * 1e3;
  const fwd = forwardFlops(info, positions) * rows * passes;
  const V = info.vocabSize;
  const head = byteMs(rows * passes * V * 4 * 3); // target read, logits written and read back, float32
  return new Map([
    [
      'forward GEMMs (qkv, out, MLP, head)',
      [Math.max(flopMs(fwd), byteMs(weightBytes * passes)), 'FLOPs at the best matmul; weights read once a pass'],
    ],
    ['backward (input gradient)', [Math.max(flopMs(fwd), byteMs(weightBytes * passes)), 'as the forward GEMMs']],
    ['forward KL and reductions', [head, 'target and logits, rows × V float32, read/written once']],
  ]);
}

const yard = await yardstick(device, dtype, quick);
const report: Record<string, unknown>[] = [];
const lines: string[] = [...yardstickTable(yard), '', `memory floor: ${bandwidth.toFixed(1)} GB/s`];
for (const name of models) {
  const model = await loadModel(name, { device, dtype, tokenizer: false });
  for (const m of methods) {
    const auto = autoBatchSize(model.info, positions, m.candidates, 1 << 20);
    const rows = a.has('--batch') ? a.num('--batch') : quick ? Math.min(auto, 16) : auto;
    const targets = rampTargets(rows, model.info.vocabSize);
    const run = (e: number) =>
      tune(model, {
        targets,
        method: m.method,
        pattern: m.pattern,
        candidates: m.candidates,
        prefixLength: positions,
        inits: 1,
        maxEpochs: e,
        patience: e,
        chunkEpochs: e,
        batchSize: rows,
        ban: 'none',
        stopStalled: false, // every row runs e epochs, a stalled hard row too
        // Eager epochs: the op observer synchronises the device after each op, which a CUDA graph's
        // capture (soft rows' default there) refuses, and a replay is one launch it would not see.
        cudaGraph: false,
      });
    await run(1); // warm-up at this shape
    const t0 = performance.now();
    await run(epochs);
    const plainMs = (performance.now() - t0) / epochs;
    benchNative().profileStart({ syncCuda: sync });
    const t1 = performance.now();
    let profile: ReturnType<ReturnType<typeof benchNative>['profileStop']>;
    try {
      await run(epochs);
    } finally {
      profile = benchNative().profileStop();
    }
    const wallMs = (performance.now() - t1) / epochs;
    const parts = new Map<string, number>();
    for (const op of profile.ops) parts.set(partOf(op), (parts.get(partOf(op)) ?? 0) + op.selfSeconds);
    parts.set(
      'in no libtorch op (fused KL kernel, host)',
      Math.max(0, wallMs / 1e3 - profile.opSeconds / epochs) * epochs,
    );
    const floor = floors(model.info, m, rows, yard.bestGflops);
    const table: Part[] = [...parts]
      .map(([part, s]) => ({
        part,
        msPerEpoch: (s / epochs) * 1e3,
        share: s / epochs / (wallMs / 1e3),
        floorMs: floor.get(part)?.[0] ?? null,
        floorOf: floor.get(part)?.[1] ?? '',
      }))
      .sort((x, y) => y.msPerEpoch - x.msPerEpoch);
    const flops = flopsPerRowEpoch(model.info, m.pattern, m.candidates) * rows;
    const top = profile.ops.slice(0, 12).map((o) => ({ ...o, msPerEpoch: (o.selfSeconds / epochs) * 1e3 }));
    report.push({ model: name, method: m.label, rows, epochs, plainMs, wallMs, sync, parts: table, top });
    lines.push(
      '',
      `${name}, ${m.label}, ${rows} rows: ${plainMs.toFixed(1)} ms/epoch unprofiled, ${wallMs.toFixed(1)} profiled${sync ? ' (each op synchronised)' : ''}; ` +
        `whole-epoch FLOP floor ${((flops / (yard.bestGflops * 1e9)) * 1e3).toFixed(1)} ms`,
      '',
      '| part | ms/epoch | share | floor ms | floor is |',
      '|---|---|---|---|---|',
      ...table.map(
        (p) =>
          `| ${p.part} | ${p.msPerEpoch.toFixed(2)} | ${(100 * p.share).toFixed(1)}% | ${p.floorMs === null ? '–' : p.floorMs.toFixed(2)} | ${p.floorOf} |`,
      ),
      '',
      '| op (phase) | calls/epoch | self ms/epoch |',
      '|---|---|---|',
      ...top.map((o) => `| ${o.name} (${o.phase}) | ${(o.calls / epochs).toFixed(0)} | ${o.msPerEpoch.toFixed(2)} |`),
    );
  }
  model.dispose();
  memoryProbe(device).release();
}
save(`profile-${deviceTag(device)}`, { dtype, positions, bandwidthGbs: bandwidth, yardstick: yard, report }, lines);
