// A study file's specs checked when the file is read, each as the sweep it becomes (with a
// placeholder model and output, which the command line supplies): a wrong field is reported as
// `<file> (<scale>[, variant v]): <field>: <what is wrong>` before any model loads, never as a
// crash half-way through the study.
import { parseSpec, SpecError } from '../spec/index.js';

type Json = Record<string, unknown>;

const PLACEHOLDER = { model: 'random:micro', device: 'cpu', output: 'study.arrow' };

/** A `$other` migration source stands for another model given on the command line. */
function withSources(targets: unknown): unknown {
  if (!Array.isArray(targets)) return targets;
  return targets.map((t) =>
    t && typeof t === 'object' && (t as Json).source === '$other' ? { ...(t as Json), source: 'random:micro' } : t,
  );
}

/** The problems of a study file's specs, one message per bad scale or variant. */
export function studySpecProblems(
  file: { paper?: Json; smoke?: Json; variants?: Record<string, Json> },
  path: string,
): string[] {
  const problems: string[] = [];
  for (const scale of ['paper', 'smoke'] as const) {
    const base = file[scale];
    if (!base) continue;
    const variants: Array<[string | undefined, Json]> = file.variants
      ? Object.entries(file.variants)
      : [[undefined, {}]];
    for (const [variant, over] of variants) {
      const merged: Json = { ...base, ...over, ...PLACEHOLDER };
      if ('targets' in merged) merged.targets = withSources(merged.targets);
      try {
        parseSpec(merged);
      } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        const where = `${path} (${scale}${variant ? `, variant ${variant}` : ''})`;
        problems.push(`${where}: ${e.issues.map((i) => `${i.path || '(spec)'}: ${i.message}`).join('; ')}`);
      }
    }
  }
  return problems;
}
