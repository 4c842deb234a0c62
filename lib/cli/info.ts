// `distprompt info [--model X]`: what the addon was built against, the devices, and a model. The
// addon and the model code are loaded when it runs (startup.ts).
import type { Command } from 'commander';

import { UsageError } from './exit.js';
import { loadedAction } from './startup.js';

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('describe the build (libtorch, CUDA, threads, BLAS), the devices, and optionally a model')
    .option('-m, --model <model>', 'a model directory, Hugging Face repo id or random:<preset>')
    .option('--device <device>', 'the device to describe (its free memory) and to load the model on', 'cpu')
    .option('--json', 'print JSON')
    .action(
      loadedAction(async () => {
        const [{ commandModel }, { presetNames, PRESETS }, { native }, { availableDeviceBytes }] = await Promise.all([
          import('./command-model.js'),
          import('../model/presets.js'),
          import('../native/index.js'),
          import('../model/memory.js'),
        ]);
        return async (o: { model?: string; device: string; json?: boolean }) => {
          const b = native().buildInfo();
          const blas = /MKL|OpenBLAS|BLIS|Accelerate/i.exec(b.config)?.[0] ?? (b.mkl ? 'MKL' : 'unknown');
          const out: Record<string, unknown> = {
            distprompt: (await import('../version.js')).VERSION,
            libtorch: b.torchVersion,
            libtorchPrefix: b.torchPrefix,
            cuda: b.cudaBuild,
            cudaDevices: b.cudaDevices,
            threads: b.threads,
            availableCores: b.availableCores,
            blas,
          };
          // Asked whether a device works, say so: a device distprompt cannot use is an error here too.
          let freeBytes: number;
          try {
            freeBytes = availableDeviceBytes(o.device);
          } catch (e) {
            throw new UsageError(`--device ${o.device}: ${(e as Error).message}`);
          }
          out.device = { name: o.device, availableBytes: freeBytes };
          if (o.model !== undefined) {
            const m = await commandModel(o.model, { device: o.device });
            const { config, ...info } = m.info;
            out.model = {
              ...info,
              config,
              tokenizer: m.tokenizer ? ((m.tokenizer as { name?: string }).name ?? 'yes') : 'none',
            };
            m.dispose();
          }
          if (o.json) {
            console.log(JSON.stringify(out, null, 2));
            return;
          }
          console.log(`distprompt ${out.distprompt}`);
          console.log(`libtorch   ${b.torchVersion} (${b.torchPrefix})`);
          console.log(`CUDA       ${b.cudaBuild ? `yes, ${b.cudaDevices} device(s)` : 'no (CPU build)'}`);
          console.log(`threads    ${b.threads} of ${b.availableCores} available cores (DISTPROMPT_THREADS overrides)`);
          console.log(`BLAS       ${blas}`);
          console.log(`device     ${o.device}, ${(freeBytes / 2 ** 30).toFixed(1)} GiB available to distprompt`);
          if (out.model) console.log(`model      ${JSON.stringify(out.model, null, 2)}`);
          else
            console.log(
              `presets    ${presetNames()
                .map((n) => `random:${n} (${PRESETS[n].about})`)
                .join('\n           ')}`,
            );
        };
      }),
    );
}
