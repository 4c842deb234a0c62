// The target worker: the pure-JS parts of target synthesis (softmax and entropy of model rows,
// shuffles, migration, part-of-speech tagging, file reading, the final validation), so that
// making thousands of targets over a 128k vocabulary never holds the caller's event loop. The
// native and model steps stay on the caller's thread, where the addon lives (they run in its
// own threads already).
import { serveTasks } from '../worker/client.js';
import { readTargetFile } from './file.js';
import { entropyBits, softmax } from './maths.js';
import { posUniform, tagVocabulary, type PosTag } from './pos.js';
import { migrate, shuffle } from './transforms.js';
import { validateTargets } from './validate.js';

const entropies = (probs: Float32Array, rows: number, vocab: number) =>
  Float64Array.from({ length: rows }, (_, r) => entropyBits(probs, vocab, r));

export const targetTasks = {
  validate(a: { data: Float32Array; rows: number; vocab: number; names: string[] }) {
    validateTargets(a.data, a.rows, a.vocab, { names: a.names });
    return { data: a.data };
  },
  softmaxRows(a: { logits: Float32Array; rows: number; vocab: number }) {
    const probs = new Float32Array(a.rows * a.vocab);
    for (let r = 0; r < a.rows; r++) probs.set(softmax(a.logits, r * a.vocab, a.vocab), r * a.vocab);
    return { probs, entropyBits: entropies(probs, a.rows, a.vocab) };
  },
  shuffleRows(a: { probs: Float32Array; seeds: number[]; vocab: number }) {
    const V = a.vocab;
    const out = new Float32Array(a.seeds.length * V);
    a.seeds.forEach((seed, r) => out.set(shuffle(a.probs.subarray(r * V, (r + 1) * V), seed), r * V));
    return { probs: out, entropyBits: entropies(out, a.seeds.length, V) };
  },
  migrateRows(a: { probs: Float32Array; rows: number; srcTexts: string[]; dstTexts: string[] }) {
    const SV = a.srcTexts.length;
    const DV = a.dstTexts.length;
    const out = new Float32Array(a.rows * DV);
    const massKept: number[] = [];
    const sharedTokens: number[] = [];
    for (let r = 0; r < a.rows; r++) {
      const m = migrate(a.probs.subarray(r * SV, (r + 1) * SV), a.srcTexts, a.dstTexts);
      out.set(m.probs, r * DV);
      massKept.push(m.massKept);
      sharedTokens.push(m.sharedTokens);
    }
    return { probs: out, entropyBits: entropies(out, a.rows, DV), massKept, sharedTokens };
  },
  posRows(a: { texts: string[]; vocab: number; targets: { tag: PosTag; n: number; seed: number }[] }) {
    const tagged = tagVocabulary(a.texts);
    const probs = new Float32Array(a.targets.length * a.vocab);
    const chosen = a.targets.map((t, r) => {
      const u = posUniform(tagged[t.tag], a.vocab, t.n, t.seed, t.tag);
      probs.set(u.probs, r * a.vocab);
      return u.chosen;
    });
    return { probs, chosen, entropyBits: entropies(probs, a.targets.length, a.vocab), tagCounts: tagged.counts };
  },
  fileRows(a: { path: string; vocab: number; indices: number[] }) {
    const file = readTargetFile(a.path, a.vocab);
    const V = a.vocab;
    const probs = new Float32Array(a.indices.length * V);
    a.indices.forEach((r, j) => probs.set(file.data.subarray(r * V, (r + 1) * V), j * V));
    return { probs, entropyBits: entropies(probs, a.indices.length, V), ids: a.indices.map((r) => file.ids[r]) };
  },
};

void serveTasks(targetTasks);
