// Where a target's difficulty comes from: its head bound (the lowest KL the output layer can
// reach from any final hidden state the norm can give, whatever the prompt) next to the KL soft
// prompts reach. The bound is certified: no prompt goes below headBoundNats − gapNats; what the
// tuned KL leaves above the sphere bound is the body's, the prompt length's and the search's share.
// On random:micro soft prompts reach the head's best (a body gap of 0 within rounding); on
// random:demo (GPT-2's vocabulary, some 15 s on a CPU) the body's share shows.
//
//   npm run build && npx tsc -p examples/library && node dist/examples/library/bound.js [model]
//
// model: as loadModel takes it (default random:micro, seconds on a CPU).
import { exitCodeFor, headBound, loadModel, synthesizeTargets, tune } from 'distprompt';

const [name = 'random:micro', ...extra] = process.argv.slice(2);
if (extra.length > 0) {
  console.error('usage: bound.js [model]');
  process.exit(2);
}

// A reader that closes early (`| head -3`) leaves the rest of the output unread: it is dropped, as the
// command line drops it, where the EPIPE error, unheard, would end the script with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
});

try {
  const model = await loadModel(name, { device: 'cpu' });
  try {
    const targets = await synthesizeTargets(model, { kind: 'vanilla', entropyBits: '1:max:2', method: 'temperature' });
    // The bound is solved where the targets are (on the model's device), one record per target.
    const bounds = await headBound(model, targets);
    const tuned = await tune(model, { targets, method: 'soft', inits: 2, maxEpochs: 100 });

    console.log('target\tentropy bits\thead bound\tsphere bound\tsoft klNats\tbody gap');
    for (const b of bounds) {
      const kl = Math.min(...tuned.filter((r) => r.targetId === b.targetId).map((r) => r.klNats));
      const sphere = b.sphereBoundNats ?? b.headBoundNats;
      const cells = [b.headBoundNats, sphere, kl, kl - sphere].map((x) => x.toFixed(4));
      console.log([b.targetId, b.targetEntropyBits.toFixed(3), ...cells].join('\t'));
    }
    targets.dispose();
  } finally {
    model.dispose();
  }
} catch (e) {
  // The library's errors name what was wrong and what to do: the message is enough, without a stack.
  // The exit code is the CLI's for the same error: 2 for input to change, 1 for a machine's fault.
  console.error(`bound: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = exitCodeFor(e);
}
