// The metadata a sweep's results carry, made in one place: the sweep writes it, and a plan of a
// resume checks the files it would continue against it exactly as the resume will.
import type { Model } from '../model/model.js';
import { native } from '../native/index.js';
import type { ResultMetadata } from '../results/index.js';
import type { SweepSpec } from '../spec/index.js';
import { targetFileHashes } from '../targets/file.js';
import { VERSION } from '../version.js';

export function sweepMetadata(spec: SweepSpec, model: Model): ResultMetadata {
  return {
    spec,
    model: { name: model.info.name, hash: model.info.identity },
    vocabSize: model.info.vocabSize,
    version: VERSION,
    build: native().buildInfo(),
    ...(spec.shard ? { shard: spec.shard } : {}),
    targetFiles: targetFilesOf(spec),
  };
}

/** The contents (sha256) of the targets files a sweep reads, by path; undefined where it reads none. */
export const targetFilesOf = (spec: SweepSpec): Record<string, string> | undefined =>
  targetFileHashes(spec.targets.flatMap((t) => (t.kind === 'file' ? [t.path] : [])));
