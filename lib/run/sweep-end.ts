// The caller's face of end-worker.ts: finish a sweep's results and figures off the main thread.

import { arrowTable } from '../io/arrow-table.js';
import type { WrittenFigure } from '../plot/plot-all.js';
import {
  tableToRecords,
  tableToRecordsYielding,
  type FinishOptions,
  type ResultWriter,
  type StoredRunRecord,
} from '../results/index.js';
import { WorkerClient, workerUrl } from '../worker/client.js';
import type { endTasks } from './end-worker.js';

const worker = new WorkerClient(() => workerUrl('./end-worker.js', import.meta.url));

export interface SweepEnd {
  figures: WrittenFigure[];
  /** the rows as written, decoded from the file's bytes on first use */
  records: () => StoredRunRecord[];
  /** the same rows, decoded a slice at a time so that the caller's event loop keeps turning */
  readRecords: () => Promise<StoredRunRecord[]>;
}

/** Writes the writer's final file (and the figures, unless `figures` is false) on the end worker. */
export async function endSweep(
  writer: ResultWriter,
  options: FinishOptions,
  figures: string | false,
): Promise<SweepEnd> {
  const how = await writer.closeForFinish();
  const r = await worker.call<Awaited<ReturnType<(typeof endTasks)['finish']>>>('finish', {
    out: writer.out,
    how,
    options: { ...options, ...(options.expectedRowIds ? { expectedRowIds: [...options.expectedRowIds] } : {}) },
    figures,
  });
  let records: StoredRunRecord[] | undefined;
  return {
    figures: r.figures,
    records: () => (records ??= tableToRecords(arrowTable(r.bytes))),
    readRecords: async () => (records ??= await tableToRecordsYielding(arrowTable(r.bytes))),
  };
}
