// What a file at an output holds, read from its head (and an Arrow file's footer schema alone: a
// results file may be gigabytes): what a command may replace there depends on it.
import { open, type FileHandle } from 'node:fs/promises';
import { RecordBatchReader } from 'apache-arrow';

/**
 * 'results' (an Arrow file with the results' rowId column), 'targets' (one with the `target`
 * column `distprompt targets` writes), 'arrow' (another Arrow file, or one whose footer does not
 * read), 'journal' (an Arrow stream, as a sweep's `.partial`), 'empty', 'other' (not Arrow: JSON,
 * safetensors, a page) or 'nothing' (no file that opens).
 */
export type OutputHolds = 'results' | 'targets' | 'arrow' | 'journal' | 'empty' | 'other' | 'nothing';

export async function outputHolds(path: string): Promise<OutputHolds> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return 'nothing';
  }
  try {
    const buffer = Buffer.alloc(6);
    const { bytesRead } = await fh.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    if (head.length === 0) return 'empty';
    if (head.length >= 4 && head.readUInt32LE(0) === 0xffffffff) return 'journal';
    if (head.toString('latin1') !== 'ARROW1') return 'other';
    try {
      const reader = await RecordBatchReader.from(fh);
      await reader.open();
      const names = new Set(reader.schema.fields.map((f) => f.name));
      return names.has('rowId') ? 'results' : names.has('target') ? 'targets' : 'arrow';
    } catch {
      return 'arrow'; // a damaged footer: the reader of the file says what is wrong with it
    }
  } catch {
    return 'nothing'; // a folder, or unreadable: the caller's own checks name it
  } finally {
    await fh.close();
  }
}
