// The named studies: one JSON file per experiment of the paper in the package's studies/ folder,
// read and checked here. A file holds the experiment's sweep spec at two scales ('paper' and
// 'smoke'), minus what the command line supplies (model, device, output).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';

import { packageRoot } from '../native/index.js';
import { studySpecProblems } from './validate-file.js';
import { parseJsonText } from '../io/json-text.js';
import { shown, unknownKeysError } from '../spec/fields.js';
import { onCommandLine, said, saidOf, SaidError } from '../io/said.js';

export const SCALES = ['paper', 'smoke'] as const;
export type Scale = (typeof SCALES)[number];

/** A spec as a study file states it: any sweep spec field except those the study run supplies. */
const ScaleSpec = z.record(z.string(), z.unknown()).superRefine((spec, ctx) => {
  for (const key of ['model', 'device', 'devices', 'output', 'shard']) {
    if (key in spec)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `'${key}' comes from the study command, not the study file`,
      });
  }
});

const STUDY_FIELDS = {
  describes: z.string().min(1),
  /** the paper's figures it reproduces */
  figures: z.array(z.string()).optional(),
  optimiser: z.string().optional(),
  /** 'random-twin': run on random:<model> instead of the model given */
  model: z.enum(['given', 'random-twin']).default('given'),
  needs: z.string().optional(),
  /** one sweep per variant: spec fields laid over the scale's spec */
  variants: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/), z.record(z.string(), z.unknown()))
    .refine((v) => Object.keys(v).length > 0, {
      error: 'no variant: give one or more (each a sweep), or remove variants to run the spec as it is',
    })
    .optional(),
  paper: ScaleSpec.optional(),
  smoke: ScaleSpec.optional(),
  /** a study made of other studies (`all`) */
  // An empty list would be a study of nothing: a report without a sweep, and exit 0.
  includes: z.array(z.string()).min(1, { error: 'name one or more studies to include' }).optional(),
};

// A misspelt field is named with the fields a study file has, as a sweep spec's is.
const StudyFileSchema = z.strictObject(STUDY_FIELDS, {
  error: unknownKeysError(Object.keys(STUDY_FIELDS), '', 'field'),
});

/**
 * The keys of StudyFileSchema that only a study file has: one of them at least tells it from other
 * JSON (its 'model', 'figures', 'optimiser' and 'needs' are words other JSON uses too: a sweep
 * spec has a 'model').
 */
const STUDY_KEYS = new Set(['describes', 'paper', 'smoke', 'includes', 'variants']);

export type StudyFile = z.output<typeof StudyFileSchema> & { name: string; path: string };

/** Where a command-line user finds what each study is (a script has the names the message lists). */
const SEE_LIST = onCommandLine('; see distprompt study --list');

export class StudyError extends SaidError {
  override name = 'StudyError';
}

/** The studies/ folder of this package. */
export function studiesDir(): string {
  const dir = join(packageRoot, 'studies');
  if (!existsSync(dir)) throw new StudyError(`cannot find ${dir}: the distprompt package is incomplete (reinstall it)`);
  return dir;
}

export function studyNames(dir = studiesDir()): string[] {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'it is a file' : code === 'ENOENT' ? 'it does not exist' : (e as Error).message;
    throw new StudyError(`studies folder ${dir}: cannot list it (${why}); give a folder of study .json files`);
  }
  const names = files
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
  // Else --list printed nothing (exit 0) and a run said "unknown study 'x' (known: )".
  if (names.length === 0)
    throw new StudyError(
      `studies folder ${dir} holds no study files (<name>.json): give a folder of them, e.g. a copy of the package's studies/`,
    );
  return names;
}

export function readStudy(name: string, dir = studiesDir()): StudyFile {
  const path = join(dir, `${name}.json`);
  const named = /^[A-Za-z0-9_-]+$/.test(name);
  // Listed by studyNames but not a name a study may have: said so, not 'unknown study (known: it)'.
  if (!named && existsSync(path) && !name.includes('/'))
    throw new StudyError(
      `${path}: a study's name (its file's, without .json) may hold only letters, digits, '-' and '_', as it names the study's results files: rename the file`,
    );
  if (!named || !existsSync(path)) {
    throw new StudyError(said`unknown study '${name}' (known: ${studyNames(dir).join(', ')}${SEE_LIST})`);
  }
  let json: unknown;
  try {
    json = parseJsonText(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new StudyError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  // A file of no study's keys (a targets or results file beside the studies, in a --studies
  // folder) is said to be no study, where its schema issues would list every key it lacks.
  const keys = typeof json === 'object' && json !== null && !Array.isArray(json) ? Object.keys(json) : [];
  if (!keys.some((k) => STUDY_KEYS.has(k)))
    throw new StudyError(
      `${path} is not a study file (it has none of ${[...STUDY_KEYS].map((k) => `'${k}'`).join(', ')}): a folder of studies holds study files alone; move it out, or give another folder`,
    );
  const r = StudyFileSchema.safeParse(json);
  if (!r.success) {
    throw new StudyError(
      `${path}: ${r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`,
    );
  }
  if (!r.data.includes && (!r.data.paper || !r.data.smoke))
    throw new StudyError(`${path}: a study needs both a 'paper' and a 'smoke' spec`);
  // A study of studies runs only what it includes: its own specs would be dropped unsaid.
  const own = (['paper', 'smoke', 'variants'] as const).filter((k) => r.data[k] !== undefined);
  if (r.data.includes && own.length > 0)
    throw new StudyError(
      `${path}: a study either includes others ('includes') or is one experiment ('paper' and 'smoke'), not both; move ${own.map((k) => `'${k}'`).join(', ')} into a study file of its own and include it`,
    );
  const problems = studySpecProblems(r.data, path);
  if (problems.length > 0) throw new StudyError(problems.join('\n'));
  return { ...r.data, name, path };
}

/**
 * The experiments behind names such as 'all' or 'vanilla,lm': included studies expanded, each
 * once, in the order given.
 */
export function expandStudies(names: readonly string[], dir = studiesDir()): StudyFile[] {
  // A script's missing list would else be a TypeError from inside.
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string'))
    throw new StudyError(`give the studies as a list of names, e.g. studies: ['vanilla'], got ${shown(names)}`);
  // An empty list (the command line's ',') would run nothing and write an empty report.
  if (names.length === 0)
    throw new StudyError(said`name one or more studies (${studyNames(dir).join(', ')}${SEE_LIST})`);
  const out = new Map<string, StudyFile>();
  const visit = (name: string, trail: string[]) => {
    if (trail.includes(name)) throw new StudyError(`study '${name}' includes itself (${[...trail, name].join(' → ')})`);
    let s: StudyFile;
    try {
      s = readStudy(name, dir);
    } catch (e) {
      // An included name that is wrong is the including file's mistake: named with it.
      const parent = trail.at(-1);
      if (e instanceof StudyError && parent !== undefined && e.message.startsWith('unknown study'))
        throw new StudyError(said`${join(dir, `${parent}.json`)}: includes: ${saidOf(e)}`);
      throw e;
    }
    if (s.includes) for (const n of s.includes) visit(n, [...trail, name]);
    else if (!out.has(name)) out.set(name, s);
  };
  for (const n of names) visit(n, []);
  return [...out.values()];
}
