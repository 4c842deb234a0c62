// Results, the storage layer: the Arrow schema, the crash-safe writer and the readers.
export { STOP_REASONS, type RunRecord, type StopReason, type StoredRunRecord } from './record.js';
export {
  changedTargetFiles,
  COLUMNS,
  decodeMetadata,
  OutputTakenError,
  ResultsError,
  ResumeMismatchError,
  SCHEMA_VERSION,
  resultSchema,
  type Column,
  type ResultMetadata,
  type StoredMetadata,
} from './schema.js';
export { checkRecord, recordsToBatch, tableToRecords, tableToRecordsYielding } from './convert.js';
export { scanJournal, type JournalScan } from './journal.js';
export {
  checkSameSweep,
  finishJournal,
  isJournal,
  journalPath,
  openForResume,
  orderRecords,
  readJournal,
  refuseDamagedJournal,
  resultFileBytes,
  ResumeStopped,
  shardDifference,
  ResultWriter,
  type FinishOptions,
  type JournalContents,
  type Resumed,
} from './writer.js';
export {
  DataChangedError,
  readJournalHead,
  readResults,
  readResultsHead,
  type Results,
  type ResultsHead,
} from './read.js';
