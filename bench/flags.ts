// The flags of a benchmark script, declared once as a table: what each takes, its default and
// what it sets. The parser refuses what the script does not read (an unknown flag, a flag
// without its value, a value that is a flag, a repeated flag, a number that is not one, a word
// the flag does not take, a bare word, a flag the script would ignore beside the others given) at
// the top of the script, before a model or the addon loads, because a benchmark that silently
// ignores a misspelt `--dtpye bfloat16` runs float32 and says so only in its results.
// `--help` prints the table.
import { DTYPES } from '../lib/native/types-model.js';

export interface Flag {
  /** the value it takes: a number, a comma list (of numbers), a word; absent: a switch, given alone */
  takes?: 'number' | 'numbers' | 'list' | 'text';
  /** its value when not given */
  default?: string | number;
  /** the default with --quick */
  quick?: string | number;
  /** the default with a --device other than cpu (with --quick too) */
  gpu?: string | number;
  /** what the script does without it, where no fixed value stands in: for --help */
  otherwise?: string;
  /** the words it takes (each of a list), where the script knows them all */
  oneOf?: readonly string[];
  /** the form its value has, where the words are too many to list (cuda:N): the form, and it in words */
  form?: { pattern: RegExp; words: string };
  /**
   * The flags the script reads it beside, where it reads it only then: each given (true), not
   * given (false), or given one of these words (a list: holding one of them), its default
   * counting. A flag given where its needs are not met would be ignored, so it is refused.
   */
  needs?: Record<`--${string}`, boolean | string | readonly string[]>;
  about: string;
}
export type FlagTable = Record<`--${string}`, Flag>;

type Name<T> = keyof T & string;
/** The flags of `T` that take one of a fixed set of words (oneOf): a word (`takes` 'text') or a list of them. */
type WordFlag<T, Takes extends 'text' | 'list'> = {
  [N in Name<T>]: T[N] extends { takes: Takes; oneOf: readonly string[] } ? N : never;
}[Name<T>];
type WordOf<F> = F extends { oneOf: readonly (infer W extends string)[] } ? W : never;

export interface Flags<T extends FlagTable> {
  /** --help was given: print `usage` instead of running */
  help: boolean;
  usage: string;
  /** given on the command line (a switch, or a flag with its value) */
  has(name: Name<T>): boolean;
  /** the table declares it, given or not (savedRun() reads --device where a script has one) */
  declares(name: string): boolean;
  text(name: Name<T>): string;
  /** a flag's value as one of the words its table lists */
  word<N extends WordFlag<T, 'text'>>(name: N): WordOf<T[N]>;
  num(name: Name<T>): number;
  list(name: Name<T>): string[];
  /** a list flag's values, each one of the words its table lists */
  words<N extends WordFlag<T, 'list'>>(name: N): WordOf<T[N]>[];
  nums(name: Name<T>): number[];
  /** A value the table could not check (a method label, say): exit 2 like a refused flag. */
  refuse(what: string): never;
}

/** A command line the script does not read: exit 2 with this message, no stack trace. */
export class FlagError extends Error {}

const HELP: Flag = { about: 'print these flags with their defaults and exit' };
/** A finite decimal number: Number() alone takes '', ' ' and '0x10'. */
export const isNumber = (v: string) =>
  /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v.trim()) && Number.isFinite(Number(v));
/** A flag, not a value: two dashes then a letter (so -1 and a --suffix of -falcon stay values). */
const looksLikeFlag = (v: string) => /^--[a-z]/i.test(v);
const placeholder = (f: Flag) =>
  f.takes === 'number'
    ? ' N'
    : f.takes === 'numbers'
      ? ' N,N,..'
      : f.takes === 'list'
        ? ' A,B,..'
        : f.takes
          ? ' X'
          : '';

/** How a script is run: a benchmark by its name in dist/bench ('tune.js'), another by its path. */
const command = (script: string) => `node ${script.includes('/') ? script : `dist/bench/${script}`}`;

/**
 * `argv` read against `table` for the script `script` (how it is run, after `node dist/bench/`:
 * 'tune.js'; or its path from the repository root: 'bench/gpu/cuda-parity.mjs'); throws FlagError naming the script, the flag and the value where `argv` holds what
 * the table does not declare.
 */
export function parseFlags<const T extends FlagTable>(script: string, table: T, argv: readonly string[]): Flags<T> {
  const all: FlagTable = { ...table, '--help': HELP };
  const reads = `${command(script)} reads ${Object.keys(all).join(' ')} (--help: each with its default)`;
  const refuse = (what: string): never => {
    throw new FlagError(`${command(script)}: ${what}\n${reads}`);
  };
  const given = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (!/^-[a-z-]/i.test(token)) refuse(`'${token}' is not a flag, and this script reads no bare words`);
    const eq = token.indexOf('=');
    const name = eq > 0 ? token.slice(0, eq) : token;
    const next = eq > 0 ? token.slice(eq + 1) : argv[i + 1];
    const flag = all[name as keyof FlagTable];
    if (!flag) {
      const value = next !== undefined && !looksLikeFlag(next) ? ` (with the value '${next}')` : '';
      refuse(`unknown flag ${name}${value}`);
    }
    if (given.has(name)) refuse(`${name} is given twice: give it once`);
    if (!flag.takes) {
      if (eq > 0) refuse(`${name} is a switch and takes no value, given '${next}'`);
      given.set(name, '');
      continue;
    }
    const kind =
      flag.takes === 'number' ? 'a number' : flag.takes === 'numbers' ? 'a comma list of numbers' : 'a value';
    if (next === undefined) refuse(`${name} takes ${kind} and was given none (it is the last word)`);
    if (looksLikeFlag(next)) refuse(`${name} takes ${kind}, and is followed by the flag ${next} instead`);
    if (next.trim() === '') refuse(`${name} takes ${kind}, given an empty value`);
    if (flag.takes === 'number' && !isNumber(next)) refuse(`${name} takes a number, given '${next}'`);
    const words = flag.oneOf;
    if (words) {
      const bad = (flag.takes === 'list' ? next.split(',').filter(Boolean) : [next]).filter((v) => !words.includes(v));
      const of = flag.takes === 'list' ? 'a comma list of' : 'one of';
      if (bad.length) refuse(`${name} takes ${of} ${words.join(', ')}, given '${next}' ('${bad[0]}' is not one)`);
    }
    if (flag.form && !flag.form.pattern.test(next)) refuse(`${name} takes ${flag.form.words}, given '${next}'`);
    if (flag.takes === 'numbers') {
      const bad = next.split(',').filter((v) => v && !isNumber(v));
      if (bad.length) refuse(`${name} takes a comma list of numbers, given '${next}' ('${bad[0]}' is not one)`);
    }
    given.set(name, next);
    if (eq < 0) i++;
  }

  const quick = given.has('--quick');
  const device = given.get('--device') ?? all['--device' as keyof FlagTable]?.default;
  const gpu = device !== undefined && device !== 'cpu';
  /** Its value given, else its default (the GPU's, --quick's, its own); undefined without one. */
  const valueOf = (name: string): string | undefined => {
    const flag = all[name as keyof FlagTable];
    if (!flag) throw new Error(`${script} reads ${name}, which its table does not declare`);
    const v = given.get(name) ?? (gpu ? flag.gpu : undefined) ?? (quick ? flag.quick : undefined) ?? flag.default;
    return v === undefined ? undefined : String(v);
  };
  for (const name of given.keys()) {
    for (const [other, want] of Object.entries(all[name as keyof FlagTable].needs ?? {})) {
      const flag = all[other as keyof FlagTable];
      if (!flag) throw new Error(`${script}: ${name} needs ${other}, which its table does not declare`);
      const unmet = unmetNeed(name, other, want, given.has(other), valueOf(other), flag.takes === 'list');
      if (unmet) refuse(unmet);
    }
  }
  const value = (name: string): string => {
    const v = valueOf(name);
    if (v === undefined) throw new Error(`${script}: ${name} has no default: ask has('${name}') before reading it`);
    return v;
  };
  const list = (name: string) => value(name).split(',').filter(Boolean);
  return {
    help: given.has('--help'),
    usage: usage(script, all),
    has: (name) => given.has(name),
    declares: (name) => name in all,
    text: value,
    word: (name) => value(name) as never,
    num: (name) => Number(value(name)),
    list,
    words: (name) => list(name) as never[],
    nums: (name) => list(name).map(Number),
    refuse,
  };
}

const words = (want: string | readonly string[]): readonly string[] => (typeof want === 'string' ? [want] : want);

/**
 * Why `name`, given, would be ignored for want of `other` ("--groups is read only with --mode
 * sweep, and --mode is 'plan' (its default): ..."), or undefined where its need is met.
 */
function unmetNeed(
  name: string,
  other: string,
  want: boolean | string | readonly string[],
  given: boolean,
  value: string | undefined,
  list: boolean,
): string | undefined {
  const ignored = 'so the script would ignore it';
  if (want === false) return given ? `${name} is ignored with ${other}: give one of the two` : undefined;
  if (want === true)
    return given
      ? undefined
      : `${name} is read only with ${other}, which is not given, ${ignored}: give ${other} too, or leave ${name} out`;
  const values = value === undefined ? [] : list ? value.split(',') : [value];
  if (values.some((v) => words(want).includes(v))) return undefined;
  const where = list ? `where ${other} holds ${words(want).join(' or ')}` : `with ${other} ${words(want).join(' or ')}`;
  const now = value === undefined ? 'is not given' : `is '${value}'${given ? '' : ' (its default)'}`;
  return `${name} is read only ${where}, and ${other} ${now}, ${ignored}: give ${other} ${words(want).join(' or ')}, or leave ${name} out`;
}

function usage(script: string, table: FlagTable): string {
  const rows = Object.entries(table).map(([name, f]: [string, Flag]) => {
    const defaults = [
      f.default !== undefined && f.default !== '' ? `default ${f.default}` : '',
      f.quick !== undefined ? `--quick: ${f.quick}` : '',
      f.gpu !== undefined ? `on a GPU: ${f.gpu}` : '',
      f.otherwise ? `default: ${f.otherwise}` : '',
      ...Object.entries(f.needs ?? {}).map(([other, want]) =>
        want === true
          ? `only with ${other}`
          : want === false
            ? `not with ${other}`
            : `only with ${other} ${words(want).join(' or ')}`,
      ),
    ].filter(Boolean);
    const about = f.oneOf ? `${f.about}: ${f.oneOf.join(', ')}` : f.about;
    return [`${name}${placeholder(f)}`, `${about}${defaults.length ? ` (${defaults.join('; ')})` : ''}`];
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return [`Usage: ${command(script)} [flags]`, ...rows.map(([l, r]) => `  ${l.padEnd(width)}${r}`)].join('\n');
}

let current: Flags<FlagTable> | undefined;

/**
 * The script's flags from the command line; --help prints them and exits 0, a command line the
 * table does not declare exits 2 with the message. The last parsed is what savedRun() reads.
 */
export function args<const T extends FlagTable>(script: string, table: T, argv = process.argv.slice(2)): Flags<T> {
  let flags: Flags<T>;
  try {
    flags = parseFlags(script, table, argv);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    console.error(e.message);
    process.exit(2);
  }
  if (flags.help) {
    console.log(flags.usage);
    process.exit(0);
  }
  const refuse = (what: string): never => {
    try {
      return flags.refuse(what);
    } catch (e) {
      console.error((e as Error).message);
      process.exit(2);
    }
  };
  current = { ...flags, refuse } as Flags<FlagTable>;
  return { ...flags, refuse };
}

// The flags most scripts read, stated once.
/** The --out-dir flag of a script that writes its results (common.ts save()). */
export const OUT_DIR = {
  '--out-dir': { takes: 'text', default: 'bench/results', about: 'where the JSON goes' },
} as const satisfies FlagTable;
/** --suffix: a second run of a suite in one run of bench/gpu/run.sh keeps the first's file. */
export const SUFFIX = {
  '--suffix': { takes: 'text', default: '', about: "added to the JSON file's name" },
} as const satisfies FlagTable;
export const DEVICE = {
  '--device': {
    takes: 'text',
    default: 'cpu',
    // Checked here as the addon would check it, but before a model loads and without a stack trace.
    form: { pattern: /^(cpu|cuda(:\d+)?)$/, words: 'cpu, cuda or cuda:N' },
    about: 'where it runs: cpu, cuda or cuda:N',
  },
} as const satisfies FlagTable;
export const DTYPE = {
  '--dtype': { takes: 'text', default: 'float32', oneOf: DTYPES, about: "the weights' dtype" },
} as const satisfies FlagTable;
/** --models, with each script's defaults (and its own words where they say more). */
export const modelsFlag = (
  defaults: Pick<Flag, 'default' | 'quick' | 'gpu'>,
  about = 'the models, each a preset or path',
) => ({ '--models': { takes: 'list', ...defaults, about } }) as const satisfies FlagTable;
export const QUICK = {
  '--quick': { about: 'a smoke run (smaller models, fewer rows and epochs): its numbers are not figures' },
} as const satisfies FlagTable;

/**
 * What every results file says of its run, and where it goes (common.ts save()): --out-dir
 * (default bench/results, so quick runs never overwrite the committed figures), the device (a
 * script without --device runs on the CPU) and whether it was a --quick smoke run (never, for a
 * script without --quick).
 */
export function savedRun(): { outDir: string; device: string; quick: boolean } {
  if (!current) throw new Error('savedRun(): the script parsed no flags (args())');
  return {
    outDir: current.text('--out-dir'),
    device: current.declares('--device') ? current.text('--device') : 'cpu',
    quick: current.has('--quick'),
  };
}
