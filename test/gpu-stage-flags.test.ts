// Every command bench/gpu/run.sh gives a benchmark is one the benchmark accepts: most GPU
// commands differ from the rehearsal's (which runs on CPU with --quick), so a misspelt
// `--dtpye bfloat16` would otherwise be found only when the GPU stage exits 2, in a lease that
// cannot be repeated. A benchmark refuses the flags it does not declare (bench/flags.ts) before
// it loads anything, so each command is run here with --help appended: exit 0 is every flag and
// value accepted. The .mjs checks read their flags themselves: their source must name each.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const runSh = readFileSync(join(root, 'bench', 'gpu', 'run.sh'), 'utf8');

/** Each `node <script> <words…>` of run.sh that runs a benchmark or a check, with $DEVICE a GPU's. */
function commands(): { script: string; words: string[] }[] {
  return [...runSh.matchAll(/node (dist\/bench\/[\w-]+\.js|bench\/gpu\/[\w-]+\.mjs)([^;|\n]*)/g)].map((m) => ({
    script: m[1],
    words: m[2].replaceAll('"$DEVICE"', 'cuda').trim().split(/\s+/).filter(Boolean),
  }));
}

describe('bench/gpu/run.sh', () => {
  const found = commands();

  it('gives each benchmark only flags and values the benchmark accepts', () => {
    expect(
      found.filter((c) => c.script.startsWith('dist/')).length,
      'the benchmark commands of run.sh',
    ).toBeGreaterThan(20);
    const refused = found
      .filter((c) => c.script.startsWith('dist/'))
      .flatMap(({ script, words }) => {
        expect(
          existsSync(join(root, script.replace(/^dist\//, '').replace(/\.js$/, '.ts'))),
          `${script}'s source`,
        ).toBe(true);
        const r = spawnSync(process.execPath, [join(root, script), ...words, '--help'], {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, DISTPROMPT_ADDON: join(root, 'no-such-addon.node') },
        });
        return r.status === 0 ? [] : [`${script} ${words.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`];
      });
    expect(refused).toEqual([]);
  });

  it('gives each .mjs check only flags its source reads', () => {
    const checks = found.filter((c) => c.script.endsWith('.mjs'));
    expect(checks.length).toBeGreaterThan(0);
    const unread = checks.flatMap(({ script, words }) => {
      const text = readFileSync(join(root, script), 'utf8');
      return words.filter((w) => w.startsWith('--') && !text.includes(`'${w}'`)).map((f) => `${script}: ${f}`);
    });
    expect(unread).toEqual([]);
  });
});
