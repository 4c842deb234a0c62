// The Arrow schema of a results file, written once here: the writer, the readers and
// docs/results-schema.md all follow this list.

import { Bool, Field, Float32, Float64, Int32, List, Schema, Utf8, type DataType } from 'apache-arrow';
import { canonicalJson, specHash, type Shard, type SweepSpec } from '../spec/index.js';
import { SaidError, type Said } from '../io/said.js';

export type ColumnKind = 'utf8' | 'int32' | 'float64' | 'bool' | 'int32List' | 'float32List';

export interface Column {
  name: string;
  kind: ColumnKind;
  nullable: boolean;
  /** the schema version that added the column: files of earlier versions read it as null */
  since: number;
}

const c = (name: string, kind: ColumnKind, nullable = false, since = 1): Column => ({ name, kind, nullable, since });

/** Column order of every results file. */
export const COLUMNS: readonly Column[] = [
  c('rowId', 'utf8'),
  c('targetId', 'utf8'),
  c('targetKind', 'utf8'),
  c('initId', 'int32'),
  c('method', 'utf8'),
  c('pattern', 'utf8'),
  c('candidates', 'int32'),
  c('prefixLength', 'int32'),
  c('klNats', 'float64'),
  c('bestEpoch', 'int32'),
  c('epochs', 'int32'),
  c('stopReason', 'utf8'),
  c('modelEntropyBits', 'float64'),
  c('targetEntropyBits', 'float64'),
  c('requestedEntropyBits', 'float64', true),
  c('promptIds', 'int32List', true),
  c('promptText', 'utf8', true),
  c('softPrompt', 'float32List', true),
  c('wallMs', 'float64'),
  c('shardIndex', 'int32'),
  c('outliers', 'int32', true),
  c('outlierMass', 'float64', true),
  c('m', 'float64', true),
  c('sourceModel', 'utf8', true),
  c('shuffleIndex', 'int32', true),
  c('posTag', 'utf8', true),
  c('lmPromptIds', 'int32List', true),
  c('pairedWith', 'utf8', true),
  c('targetParams', 'utf8', true),
  // The head bound of the row's target (lib/bound): null when the sweep ran with --no-bound.
  c('headBoundNats', 'float64', true, 2),
  c('headBoundGapNats', 'float64', true, 2),
  c('bottleneckBoundNats', 'float64', true, 2),
  c('bottleneckConverged', 'bool', true, 2),
  c('bodyGapNats', 'float64', true, 2),
  c('belowHeadBound', 'bool', true, 2),
  c('sphereBoundNats', 'float64', true, 3),
  c('sphereStarts', 'int32', true, 3),
  c('sphereResidual', 'float64', true, 3),
  c('bottleneckStatus', 'utf8', true, 3),
];

export function arrowType(kind: ColumnKind): DataType {
  switch (kind) {
    case 'utf8':
      return new Utf8();
    case 'int32':
      return new Int32();
    case 'float64':
      return new Float64();
    case 'bool':
      return new Bool();
    case 'int32List':
      return new List(new Field('item', new Int32(), false));
    case 'float32List':
      return new List(new Field('item', new Float32(), false));
  }
}

/** Bumped when columns change meaning or are added; readers check it. */
export const SCHEMA_VERSION = '3';
/** Versions this distprompt reads: a column added later reads as null in an older file. */
export const READABLE_SCHEMA_VERSIONS: readonly string[] = ['1', '2', '3'];

/** What the caller knows about the run; stored in the schema metadata. */
export interface ResultMetadata {
  spec: SweepSpec;
  model: { name: string; hash: string };
  /** Vocabulary size of the model: with the spec it re-derives the plan (merge uses it). */
  vocabSize: number;
  version: string;
  build: unknown;
  /** The shard this file holds; absent for a whole sweep or a merge. */
  shard?: Shard;
  /**
   * sha256 of each `file` target's file, by the path the spec gives: the spec names the file, not
   * its contents, so a resume or merge checks these (files written before them have none).
   */
  targetFiles?: Record<string, string>;
}

export interface StoredMetadata extends ResultMetadata {
  specHash: string;
  schemaVersion: string;
}

const KEY = {
  spec: 'distprompt.spec',
  specHash: 'distprompt.specHash',
  model: 'distprompt.model',
  vocabSize: 'distprompt.vocabSize',
  version: 'distprompt.version',
  build: 'distprompt.build',
  shard: 'distprompt.shard',
  targetFiles: 'distprompt.targetFiles',
  schemaVersion: 'distprompt.schemaVersion',
} as const;

export function encodeMetadata(meta: ResultMetadata): Map<string, string> {
  const map = new Map<string, string>([
    [KEY.schemaVersion, SCHEMA_VERSION],
    [KEY.spec, canonicalJson(meta.spec)],
    [KEY.specHash, specHash(meta.spec)],
    [KEY.model, JSON.stringify(meta.model)],
    [KEY.vocabSize, String(meta.vocabSize)],
    [KEY.version, meta.version],
    [KEY.build, JSON.stringify(meta.build ?? null)],
  ]);
  if (meta.shard) map.set(KEY.shard, JSON.stringify({ index: meta.shard.index, count: meta.shard.count }));
  if (meta.targetFiles) map.set(KEY.targetFiles, canonicalJson(meta.targetFiles));
  return map;
}

export class ResultsError extends SaidError {
  override name = 'ResultsError';
}

/** An output a run may not touch without --resume or --overwrite: a finished file, or a journal. */
export class OutputTakenError extends ResultsError {
  override name = 'OutputTakenError';

  constructor(
    message: string | Said,
    /** what is in the way is a finished results file (not an unfinished run's journal) */
    readonly finished: boolean,
    /** the file in the way (a sweep's output, or one of its --devices shard files) */
    readonly path?: string,
  ) {
    super(message);
  }
}

/** A resume refused: the output holds another sweep (its spec, model, targets file or shard). */
export class ResumeMismatchError extends ResultsError {
  override name = 'ResumeMismatchError';

  constructor(
    /** what differs, without what to do: a study says that in its own words */
    readonly what: string,
    /** the spec differs (what a study's flags such as --scale or --dtype change) */
    readonly specDiffers: boolean,
  ) {
    super(`${what}. Rerun with the original spec, or choose another output`);
  }
}

export function decodeMetadata(map: Map<string, string>, where: string): StoredMetadata {
  const get = (key: string): string => {
    const v = map.get(key);
    if (v === undefined)
      throw new ResultsError(`${where}: not a distprompt results file (schema metadata has no '${key}')`);
    return v;
  };
  const schemaVersion = get(KEY.schemaVersion);
  if (!READABLE_SCHEMA_VERSIONS.includes(schemaVersion)) {
    throw new ResultsError(
      `${where}: results schema version ${schemaVersion}, this distprompt reads versions ${READABLE_SCHEMA_VERSIONS.join(', ')}: ` +
        'read it with the distprompt that wrote it',
    );
  }
  // A sweep writes these as JSON: one that is not was damaged after (a flipped byte, an edit).
  const json = (key: string, text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new ResultsError(
        `${where}: the schema metadata's '${key}' is not valid JSON (${(e as Error).message}): the file is damaged; ` +
          'use a copy the sweep wrote, or run the sweep again',
      );
    }
  };
  const shard = map.get(KEY.shard);
  const targetFiles = map.get(KEY.targetFiles);
  return {
    schemaVersion,
    spec: json(KEY.spec, get(KEY.spec)) as SweepSpec,
    specHash: get(KEY.specHash),
    model: json(KEY.model, get(KEY.model)) as { name: string; hash: string },
    vocabSize: Number(get(KEY.vocabSize)),
    version: get(KEY.version),
    build: json(KEY.build, get(KEY.build)),
    ...(shard ? { shard: json(KEY.shard, shard) as Shard } : {}),
    ...(targetFiles ? { targetFiles: json(KEY.targetFiles, targetFiles) as Record<string, string> } : {}),
  };
}

export function resultSchema(meta: ResultMetadata): Schema {
  return new Schema(
    COLUMNS.map((col) => new Field(col.name, arrowType(col.kind), col.nullable)),
    encodeMetadata(meta),
  );
}

/**
 * The `file` targets whose contents differ between two runs' metadata ("a.json"), for a resume or
 * merge to refuse: the same path with other contents plans the same row ids for other targets.
 */
export function changedTargetFiles(a: ResultMetadata, b: ResultMetadata): string[] {
  if (!a.targetFiles || !b.targetFiles) return [];
  return Object.keys(a.targetFiles).filter((p) => p in b.targetFiles! && a.targetFiles![p] !== b.targetFiles![p]);
}
