// Ctrl-C (or SIGTERM) while the CLI is still loading its modules ends it with the interrupted exit
// code (130) and a word on stderr, not with Node's default death by the signal. The signal is sent
// at a known moment: a module loader hook (node --import) sends it to the CLI's own process as a
// given module starts to load, and holds that load back, so the signal always lands mid-start.
import { expect, it } from 'vitest';

import { runCli, scratchDir, withLoaderHooks } from './helpers/cli.js';

const dir = scratchDir('startup-interrupt');

/** node flags under which `signal` reaches the process as the first file under `trigger` loads. */
function signalWhileLoading(trigger: string, signal: NodeJS.Signals): string[] {
  const hooks = `
    let sent = false;
    export async function load(url, context, next) {
      if (!sent && url.includes(${JSON.stringify(trigger)})) {
        sent = true;
        process.kill(process.pid, ${JSON.stringify(signal)});
        // Held back until the signal has ended the process: what loads after it never runs.
        await new Promise((resolve) => setTimeout(resolve, 60_000));
      }
      return next(url, context);
    }`;
  return withLoaderHooks(hooks);
}

const STARTING = 'distprompt: interrupted while starting; nothing was done\n';

it.each([
  ['SIGINT', ['--help'], '/node_modules/commander/'],
  ['SIGTERM', ['--version'], '/node_modules/commander/'],
  // A command's library loads when it runs: a merge's brings apache-arrow.
  ['SIGINT', ['merge', 'a.arrow', '-o', 'b.arrow'], '/node_modules/apache-arrow/'],
] as const)('%s while %j loads ends it with exit 130, saying so', (signal, args, trigger) => {
  const r = runCli(args, dir, { node: signalWhileLoading(trigger, signal), timeout: 120_000 });
  expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
    status: 130,
    signal: null,
    stderr: STARTING,
  });
  expect(r.stdout).toBe('');
});
