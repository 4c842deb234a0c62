// The addon under worker threads and at exit, run in child processes (a failure here was a crash
// or a hang of the whole process, not an error): models in several worker threads at once, and a
// process or worker that exits while a tune or head bound is still running on libuv's pool.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

import { hotflipTopK, native } from '../lib/index.js';

const script = join(import.meta.dirname, 'fixtures', 'native-abuse', 'run.mjs');
const dist = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'lib', 'index.js')).href;

/** Runs the fixture in `mode`; killed after `limitMs` (a hang), reported with its exit and time. */
function run(
  mode: string,
  limitMs: number,
): Promise<{ code: number | null; signal: string | null; out: string; ms: number }> {
  return new Promise((done) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--expose-gc', script, mode]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out, ms: Date.now() - t0 });
    });
  });
}

describe('worker threads', () => {
  it('each loads the addon and runs its own model, tune and head bound at once', async () => {
    // Before, the second thread to load the addon replaced the first's class constructors and
    // the process died of a V8 fatal error ("Entering the V8 API without proper locking").
    const r = await run('workers', 120_000);
    expect(r.out).not.toMatch(/FATAL ERROR/);
    expect([r.code, r.signal], r.out).toEqual([0, null]);
    for (const name of ['random:tiny-gpt2', 'random:micro', 'random:tiny-llama3'])
      expect(r.out).toContain(`${name}: 2 records, 2 bounds`);
  }, 150_000);
});

describe('an exit while native work runs', () => {
  // Node joins the pool's threads before a process exits: a call still running held the exit
  // until it ended (a head bound of 200 targets on random:demo: many minutes; a chunk of 1,000
  // tune epochs: a minute). It now stops within one pass or epoch.
  it('process.exit() during a head bound exits at once, with its code', async () => {
    const r = await run('exit-during-bound', 90_000);
    expect([r.code, r.signal], r.out).toEqual([3, null]);
    expect(r.out).not.toContain('bound finished');
    expect(r.ms).toBeLessThan(30_000);
  }, 120_000);

  it('an uncaught exception during a tune exits at once, with code 1', async () => {
    const r = await run('throw-during-tune', 90_000);
    expect([r.code, r.signal], r.out).toEqual([1, null]);
    expect(r.out).toContain('thrown while a tune runs');
    expect(r.ms).toBeLessThan(30_000);
  }, 120_000);

  it('process.exit() in a worker thread during a head bound ends that thread, not the process', async () => {
    // Before, the bound ran to its end, and then settling its promise in the exited thread threw
    // a C++ exception that aborted the process ("terminate called after throwing Napi::Error").
    const r = await run('worker-exit-during-bound', 90_000);
    expect(r.out).not.toMatch(/terminate called|Aborted/);
    expect([r.code, r.signal], r.out).toEqual([0, null]);
    expect(r.out).toContain('worker exited with 5');
    expect(r.ms).toBeLessThan(30_000);
  }, 120_000);
});

describe('worker.terminate() while native work runs', () => {
  // A terminated worker emits no 'exit', and Node waits for the calls on the pool before it runs
  // any addon cleanup: terminate() waited for the running call (random:tiny-llama3: 173 s for a
  // chunk of 1,000 tune epochs, 13 s for a head bound of 100 targets). It now returns at once.
  it.each(['tune', 'bound'])(
    'returns within a few seconds during a %s',
    async (work) => {
      const r = await run(`terminate-during-${work}`, 90_000);
      expect([r.code, r.signal], r.out).toEqual([0, null]);
      const seconds = Number(/terminated with 1 after ([\d.]+) s/.exec(r.out)?.[1]);
      expect(seconds, r.out).toBeLessThan(5);
      expect(r.out).not.toContain('bound finished');
    },
    120_000,
  );
});

describe('native().uploadTensor', () => {
  it('copies an array transferred away while its upload runs, instead of reading freed memory', async () => {
    // Before, the pool copied from memory the transfer had handed on and the collector freed:
    // a segmentation fault. The array is now marked untransferable, so the transfer copies it.
    const r = await run('transfer-during-upload', 90_000);
    expect([r.code, r.signal], r.out).toEqual([0, null]);
    expect(r.out).toContain(`uploaded ${2 ** 26}: 2 … 2; the array still holds ${2 ** 26}`);
  }, 120_000);
});

describe('process-wide settings', () => {
  // Before, any count was taken: 100,000 ended the process at the next op (a segmentation
  // fault; 10^9: libgomp's "out of memory" abort).
  it('native().setThreads refuses a count above 1024, naming it, and keeps the one in use', () => {
    const before = native().buildInfo().threads;
    for (const n of [100_000, 1e9, 0, 2.5])
      expect(() => native().setThreads(n)).toThrow(
        `setThreads(n): n must be a whole number of threads from 1 to 1024, got ${n}`,
      );
    expect(native().buildInfo().threads).toBe(before);
  });

  it('native().setCpuMemoryLimit refuses NaN, a negative or a value past 2^53, naming it', () => {
    // Before, NaN and 1e30 were cast to an integer undefined in C++ and read as no limit.
    for (const bytes of [NaN, -1, 1e30, Infinity])
      expect(() => native().setCpuMemoryLimit(bytes)).toThrow(
        `bytes must be a number from 0 to 2^53 (0 = no limit), got ${bytes}`,
      );
    expect(native().memoryStats('cpu').memoryLimitBytes).toBe(0);
  });

  it('DISTPROMPT_THREADS above it is refused as the addon loads, naming the variable', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', `import(${JSON.stringify(dist)}).then((d) => d.native().buildInfo())`],
      {
        env: { ...process.env, DISTPROMPT_THREADS: '100000' },
        encoding: 'utf8',
      },
    );
    expect(r.signal).toBeNull();
    expect(r.stderr).toContain("DISTPROMPT_THREADS='100000' is refused");
    expect(r.stderr).toContain('from 1 to 1024');
  });
});

describe('hotflipTopK sizes', () => {
  const grad = new Float32Array(3);
  const embeddings = new Float32Array(15);
  it.each([
    [{ rows: -1, hidden: -3, vocab: -5 }, 'rows must be an integer of at least 1, got -1'],
    [{ rows: 1, hidden: 1.5, vocab: 2 }, 'hidden must be an integer of at least 1, got 1.5'],
    [{ rows: 1, hidden: 3, vocab: 0 }, 'vocab must be an integer of at least 1, got 0'],
  ])('%o is refused naming the field', async (sizes, message) => {
    await expect(hotflipTopK({ grad, current: grad, embeddings, k: 1, ...sizes })).rejects.toThrow(message);
  });
});
