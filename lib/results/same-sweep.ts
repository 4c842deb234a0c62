// Whether two runs' results belong to one sweep: the same spec, model and targets files'
// contents. A resume (a journal or file against the run continuing it) and a merge (each shard
// against the first) ask this one question; the shard is theirs to compare (a resume continues
// its own shard; a merge joins different ones), and so is the schema (a merge rewrites rows).
import { specChange, specHash } from '../spec/index.js';
import { changedTargetFiles, type ResultMetadata } from './schema.js';

/** One run's side: its metadata, its spec hash if stored, and how a message names it. */
export interface SweepSide {
  metadata: ResultMetadata & { specHash?: string };
  /** a path, or 'this run' */
  name: string;
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** What differs between two runs as one sweep, each as a phrase; empty when they are one sweep. */
export function sweepDifferences(a: SweepSide, b: SweepSide): string[] {
  const out: string[] = [];
  const hashA = a.metadata.specHash ?? specHash(a.metadata.spec);
  const hashB = b.metadata.specHash ?? specHash(b.metadata.spec);
  if (hashA !== hashB)
    out.push(`the sweep spec differs (${specChange(a.metadata.spec, hashA, a.name, b.metadata.spec, hashB, b.name)})`);
  const [ma, mb] = [a.metadata.model, b.metadata.model];
  if (ma.hash !== mb.hash)
    out.push(
      `the model differs (${ma.name} ${short(ma.hash)} in ${a.name}, ${mb.name} ${short(mb.hash)} in ${b.name})`,
    );
  for (const path of changedTargetFiles(a.metadata, b.metadata))
    out.push(
      `the targets file ${path} had other contents when ${a.name} was run (its rows hold other targets): restore the file that run read`,
    );
  return out;
}
