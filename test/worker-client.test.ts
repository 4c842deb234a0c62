// The worker thread that takes the JavaScript parts of target synthesis (and figures) off the
// caller's event loop: a task whose payload cannot be sent is refused at once, leaves its typed
// arrays as they were, and does not keep the worker (hence the process) alive afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const offload = pathToFileURL(resolve(import.meta.dirname, '../dist/lib/targets/offload.js')).href;

describe('a worker task whose payload cannot be sent', () => {
  it('is rejected with the reason, keeps its data, and the process still exits by itself', () => {
    // A function cannot be cloned: the post fails with the buffer still in place, and so does
    // the copy tried next. Before, the rejected call stayed registered and held the worker
    // referenced: the process never ended (killed here by the timeout).
    const script = `
      import { inTargetWorker } from ${JSON.stringify(offload)};
      const data = new Float32Array(8).fill(1 / 8);
      try {
        await inTargetWorker('validate', { data, rows: 1, vocab: 8, names: [() => 'x'] }, [data.buffer]);
        console.log('resolved');
      } catch (e) {
        console.log('rejected', e.name, data.length);
      }
      const ok = await inTargetWorker('validate', { data, rows: 1, vocab: 8, names: ['t'] }, [data.buffer]);
      console.log('then', ok.data.length);
    `;
    const dir = mkdtempSync(join(tmpdir(), 'distprompt-worker-'));
    const file = join(dir, 'call.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.signal, `the process did not end by itself: ${r.stdout}${r.stderr}`).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['rejected DataCloneError 8', 'then 8']);
  });
});
