// The caller's face of the target worker (synth-worker.ts): each task runs there, its typed
// arrays moved rather than copied both ways.
import { WorkerClient, workerUrl } from '../worker/client.js';
import { TargetError } from '../model/target-error.js';
import type { targetTasks } from './synth-worker.js';

type TaskName = keyof typeof targetTasks;
type Task<K extends TaskName> = (typeof targetTasks)[K];

const worker = new WorkerClient(() => workerUrl('./synth-worker.js', import.meta.url));

export async function inTargetWorker<K extends TaskName>(
  task: K,
  payload: Parameters<Task<K>>[0],
  transfer: ArrayBufferLike[] = [],
): Promise<ReturnType<Task<K>>> {
  try {
    return await worker.call<ReturnType<Task<K>>>(task, payload, transfer as ArrayBuffer[]);
  } catch (e) {
    // The worker's errors arrive as plain Errors; a bad target stays a TargetError (exit 2).
    if ((e as Error).name === 'TargetError') throw Object.assign(new TargetError((e as Error).message), e);
    throw e;
  }
}
