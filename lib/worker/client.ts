// A worker thread that runs a module's pure-JS tasks (figure rendering, target post-processing)
// so that an embedding program's event loop stays free. Started on the first call, kept for the
// next, and unreferenced while idle so that it never holds the process open.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { Said, saidOf, setMessage, type Part } from '../io/said.js';

export type Tasks = Record<string, (payload: never) => unknown>;

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  /** name, message and the error's own plain fields (code, path, …) */
  error?: Record<string, unknown> & { name: string; message: string };
  /** the message's parts, for the command line to name its options as flags (lib/io/said.ts) */
  said?: Part[];
}

/**
 * The compiled worker beside the caller (dist/lib/...). When the caller runs from its TypeScript
 * source (the test runner), Node cannot start a .ts worker: the compiled copy in dist/ is used.
 */
export function workerUrl(file: string, caller: string): URL {
  const beside = new URL(file, caller);
  if (!caller.endsWith('.ts')) return beside;
  const path = fileURLToPath(beside);
  const at = path.lastIndexOf('/lib/');
  const built = at < 0 ? path : `${path.slice(0, at)}/dist${path.slice(at)}`;
  if (!existsSync(built)) throw new Error(`worker ${built} has not been built: run \`npm run build\``);
  return pathToFileURL(built);
}

export class WorkerClient {
  private worker: Worker | undefined;
  private next = 0;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(private readonly url: () => URL) {}

  call<T>(task: string, payload: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    const worker = this.start();
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const sizes = transfer.map((b) => b.byteLength);
      try {
        try {
          worker.postMessage({ id, task, payload }, transfer as never[]);
        } catch (e) {
          // A buffer that cannot be moved (one the addon owns) is copied instead; but not once a
          // failed post has moved some: they are empty here now, and a copy would carry nothing.
          if (transfer.some((b, i) => b.byteLength !== sizes[i])) throw e;
          worker.postMessage({ id, task, payload });
        }
      } catch (e) {
        // Nothing was sent: no reply will come, and the worker must not hold the process open.
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      // Replies arrive on a later turn of the loop, so registering after the post is in time.
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.url());
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref();
      if (m.ok) p.resolve(m.value);
      else {
        const error = Object.assign(new Error(m.error!.message), m.error);
        setMessage(error, new Said(m.said ?? [m.error!.message]));
        p.reject(error);
      }
    });
    const fail = (e: Error) => {
      this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker ${this.url().pathname} exited with code ${code}`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** The buffers of a task's typed-array results (top level or one field down), moved, not copied. */
function transferables(value: unknown): ArrayBuffer[] {
  const views = ArrayBuffer.isView(value)
    ? [value]
    : value && typeof value === 'object'
      ? Object.values(value).filter((v) => ArrayBuffer.isView(v))
      : [];
  return [...new Set(views.map((v) => (v as ArrayBufferView).buffer))].filter(
    (b): b is ArrayBuffer => b instanceof ArrayBuffer,
  );
}

/** The worker side: answers each message by running the named task. */
export async function serveTasks(tasks: Tasks): Promise<void> {
  const { parentPort } = await import('node:worker_threads');
  if (!parentPort) throw new Error('serveTasks runs in a worker thread');
  const port = parentPort;
  // The handler catches every failure into a reply, so the promise it returns never rejects.
  const handle = async (m: { id: number; task: string; payload: never }): Promise<void> => {
    try {
      const run = tasks[m.task];
      if (!run) throw new Error(`worker has no task '${m.task}'`);
      const value = await run(m.payload);
      port.postMessage({ id: m.id, ok: true, value } satisfies Reply, transferables(value));
    } catch (e) {
      const err = (e ?? {}) as Error & Record<string, unknown>;
      const fields = Object.fromEntries(
        Object.entries(err).filter(([, v]) => v === null || ['string', 'number', 'boolean'].includes(typeof v)),
      );
      port.postMessage({
        id: m.id,
        ok: false,
        error: { ...fields, name: err.name ?? 'Error', message: err.message ?? String(e) },
        said: [...saidOf(e).parts],
      } satisfies Reply);
    }
  };
  port.on('message', (m: { id: number; task: string; payload: never }) => void handle(m));
}
