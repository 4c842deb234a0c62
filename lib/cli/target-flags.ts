// Target flags of `targets`, `tune` and `bound` that the targets would not read: refused, not
// dropped (an --entropy beside --targets, or with --kind lm, changed nothing without a word). The
// commands' help reads KIND_LIST: the targets' library is loaded when the flags are checked.
import type { Command } from 'commander';

import { parseRange } from '../spec/grid.js';
import { UsageError } from './exit.js';

/** The target flags as commander hands them over (strings; kind and seed have defaults). */
export interface TargetFlags {
  model: string;
  device: string;
  dtype?: string;
  kind: string;
  entropy?: string;
  outliers?: string;
  count?: string;
  source?: string;
  tag?: string;
  method?: string;
  seed: string;
}

/** What --entropy (tune, bound), --outliers, --count and --method mean when left out; the help prints these. */
export const FLAG_DEFAULTS = { outliers: 1, count: 10, posCount: 1, method: 'gradient', entropy: '4' } as const;

/** The flags each kind reads; any other given is refused rather than dropped. */
const KIND_FLAGS: Record<string, ReadonlyArray<keyof TargetFlags>> = {
  vanilla: ['entropy', 'method'],
  outlier: ['entropy', 'outliers'],
  lm: ['count'],
  shuffled: ['count'],
  'pos-uniform': ['tag', 'count'],
  migrated: ['source', 'count'],
};
const KIND_FLAG_NAMES = [...new Set(Object.values(KIND_FLAGS).flat())];

/** The kinds `--kind` takes, as its help and its refusal name them ('file' targets come by --targets). */
const kinds = Object.keys(KIND_FLAGS);
export const KIND_LIST = `${kinds.slice(0, -1).join(', ')} or ${kinds.at(-1)}`;
const flagName = (k: string) => `--${k}`;

/**
 * Refuses target flags the targets will not read: one of another kind (--entropy with --kind lm),
 * or any with --targets (the file holds the targets), --kind too when it was typed, not defaulted.
 */
function refuseUnusedTargetFlags(o: TargetFlags & { targets?: string }, cmd: Command): void {
  const kindGiven = cmd.getOptionValueSource('kind') === 'cli';
  const given = KIND_FLAG_NAMES.filter((k) => o[k] !== undefined);
  if (o.targets !== undefined) {
    const unused = [...(kindGiven ? (['kind'] as const) : []), ...given];
    if (unused.length > 0)
      throw new UsageError(
        `${unused.map(flagName).join(', ')} would be ignored: the targets come from --targets ${o.targets}; drop ${unused.length > 1 ? 'them' : 'it'}`,
      );
    return;
  }
  const reads = KIND_FLAGS[o.kind];
  if (!reads) return; // request() names the unknown kind
  const unused = given.filter((k) => !reads.includes(k));
  if (unused.length > 0)
    throw new UsageError(
      `${unused.map(flagName).join(', ')} ${unused.length > 1 ? 'do' : 'does'} not apply to ${o.kind} targets (they take ${reads.map(flagName).join(', ')}); drop ${unused.length > 1 ? 'them' : 'it'} or choose another --kind`,
    );
}

/** The field of a kind's spec entry each value flag sets (--tag one of pos-uniform's `tags`). */
const FLAG_FIELDS = { count: 'count', outliers: 'outliers', method: 'method', tag: 'tags' } as const;

/**
 * refuseUnusedTargetFlags, then each target flag's value by its kind's own rule, named by the flag
 * (`--count: must be >= 1, got 0`). Checked before the model loads: the targets' request, checked
 * after, names the field (`count`) and came minutes later on a big model. --entropy's grid is
 * read here; whether it lies within log2 V waits for the model. A migrated kind's --source is
 * described (not loaded) here too.
 */
export async function checkTargetFlags(o: TargetFlags & { targets?: string }, cmd: Command): Promise<void> {
  refuseUnusedTargetFlags(o, cmd);
  if (o.targets !== undefined || !Object.hasOwn(KIND_FLAGS, o.kind)) return;
  if (o.entropy !== undefined) {
    const range = o.entropy.includes(':') ? parseRange(o.entropy) : numberList(o.entropy, '--entropy');
    if (typeof range === 'string') throw new UsageError(`--entropy: ${range}`);
  }
  const { kindDef } = await import('../targets/registry.js');
  const { shape } = kindDef(o.kind).schema;
  for (const [flag, field] of Object.entries(FLAG_FIELDS) as [keyof typeof FLAG_FIELDS, string][]) {
    const v = o[flag];
    if (v === undefined || !Object.hasOwn(shape, field)) continue;
    const value = flag === 'tag' ? [v] : flag === 'method' ? v : numberFlag(v, `--${flag}`);
    const checked = shape[field].safeParse(value);
    if (!checked.success) throw new UsageError(`--${flag}: ${checked.error.issues[0].message}`);
  }
  if (o.kind === 'migrated' && o.source !== undefined)
    await (await import('../targets/source-model.js')).checkSourceModels([o.source], o.device);
}

/** A decimal number as typed ('4', '0.5', '1e3'): Number() would also take '', ' ', '0x3' and '1_0'. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** A number flag's value, the text named where it is not a number (else NaN reached tune's checks). */
export function numberFlag(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!DECIMAL.test(v.trim())) throw new UsageError(`${flag}: '${v}' is not a number`);
  return Number(v);
}

/** '0,2,4' as numbers, as a sweep's --entropy reads it: empty entries ('1,,2', '2,') are skipped. */
export function numberList(text: string, flag: string): number[] {
  const parts = text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  if (parts.length === 0) throw new UsageError(`${flag}: '${text}' holds no number (e.g. '0,2,4' or '0:max:1')`);
  return parts.map((x) => numberFlag(x, flag)!);
}
