// Ctrl-C (or SIGTERM) in a command before its own handling of it (a model's load) or in a command
// that has none (merge, plot) ends the process with the interrupted exit code (130) and one line
// saying what was and was not done, not with Node's default death by the signal; what it was
// writing leaves no temporary beside the output. The signal is sent at a known moment, from inside
// the CLI's process: as a module loads during the model's load (a module loader hook), or as the
// file writer opens its temporary (a preloaded module wrapping fs/promises' open).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';

import { writeMicroConfig } from './helpers/micro-sweep.js';
import { runCli, runCliAsync, scratchDir, withLoaderHooks, withPreload } from './helpers/cli.js';

const dir = scratchDir('command-interrupt');

/** Held back after the signal until it has ended the process: what follows never runs. */
const HOLD = 'await new Promise((resolve) => setTimeout(resolve, 60_000));';

/** node flags under which `signal` reaches the process as the first file under `trigger` loads. */
function signalWhileLoading(trigger: string, signal: NodeJS.Signals): string[] {
  return withLoaderHooks(`
    let sent = false;
    export async function load(url, context, next) {
      if (!sent && url.includes(${JSON.stringify(trigger)})) {
        sent = true;
        process.kill(process.pid, ${JSON.stringify(signal)});
        ${HOLD}
      }
      return next(url, context);
    }`);
}

/** node flags under which `signal` reaches the process once it has opened the first file whose path holds `part`. */
function signalOnOpen(part: string, signal: NodeJS.Signals): string[] {
  return withPreload(`
    import fsp from 'node:fs/promises';
    import { syncBuiltinESMExports } from 'node:module';
    const open = fsp.open;
    let sent = false;
    fsp.open = async (path, ...rest) => {
      const handle = await open(path, ...rest);
      if (!sent && String(path).includes(${JSON.stringify(part)})) {
        sent = true;
        process.kill(process.pid, ${JSON.stringify(signal)});
        ${HOLD}
      }
      return handle;
    };
    syncBuiltinESMExports();`);
}

/** `r` ended by its own exit 130, with `said` its one line on stderr and nothing on stdout. */
function expectInterrupted(
  r: { status: number | null; signal: string | null; stdout: string; stderr: string },
  said: string,
) {
  expect({ status: r.status, signal: r.signal, stderr: r.stderr, stdout: r.stdout }).toEqual({
    status: 130,
    signal: null,
    stderr: `distprompt: ${said}\n`,
    stdout: '',
  });
}

/** The files in `folder` a writer left at a temporary name. */
const temporaries = (folder: string) => readdirSync(folder).filter((f) => f.includes('.tmp-'));

beforeAll(async () => {
  const cfg = writeMicroConfig(dir, 'micro.json');
  const shards = await Promise.all(
    [0, 1].map((i) =>
      runCliAsync(['sweep', '-c', cfg, '-o', `s${i}.arrow`, '--shard', `${i}/2`, '--no-figures', '-q'], dir),
    ),
  );
  for (const r of shards) expect(r.status, r.stderr).toBe(0);
}, 120_000);

it('tune: SIGINT while the model loads ends it with exit 130, saying nothing was done', () => {
  const args = ['tune', '-m', 'random:tiny-gpt2', '--inits', '1', '--max-epochs', '2'];
  const r = runCli(args, dir, { node: signalWhileLoading('/dist/lib/tokenizer/', 'SIGINT'), timeout: 120_000 });
  expectInterrupted(r, 'interrupted while loading the model; nothing was done');
});

it('merge: SIGTERM while the merged file is written ends it with exit 130, leaving no file, temporary or lock', () => {
  const shards = ['s0.arrow', 's1.arrow'].map((f) => readFileSync(join(dir, f)));
  const r = runCli(['merge', 's0.arrow', 's1.arrow', '-o', 'm.arrow'], dir, {
    node: signalOnOpen('m.arrow.tmp-', 'SIGTERM'),
    timeout: 120_000,
  });
  expectInterrupted(r, 'interrupted: m.arrow was not written; the shards are unchanged');
  expect(readdirSync(dir).filter((f) => f.startsWith('m.arrow'))).toEqual([]);
  expect(['s0.arrow', 's1.arrow'].map((f) => readFileSync(join(dir, f)))).toEqual(shards);
});

it('plot: SIGINT while a figure is written ends it with exit 130, leaving no temporary', () => {
  const r = runCli(['plot', 's0.arrow', 's1.arrow', '-o', 'figs'], dir, {
    node: signalOnOpen('.svg.tmp-', 'SIGINT'),
    timeout: 120_000,
  });
  expectInterrupted(
    r,
    'interrupted while drawing the figures in figs; those written are whole, the rest are not drawn: rerun the same command',
  );
  expect(temporaries(join(dir, 'figs'))).toEqual([]);
});
