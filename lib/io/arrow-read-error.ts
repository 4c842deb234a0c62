// Why apache-arrow could not read a file, in words a user can act on. Arrow's own messages
// ("Expected to read N metadata bytes", "Record batch is compressed but codec not found") say
// nothing about what the file is or what to do.

/** The reason, for a message "<file> … (<reason>)". */
export function arrowReadError(e: unknown): string {
  const message = (e as Error).message ?? String(e);
  // The JavaScript Arrow reader has no LZ4 or ZSTD codec: pyarrow and polars can write either.
  if (/compressed/i.test(message))
    return (
      'its record batches are compressed (LZ4 or ZSTD), which this Arrow reader cannot decode: write it ' +
      'uncompressed (pyarrow: ipc.new_file(path, schema, options=ipc.IpcWriteOptions(compression=None)); polars: ' +
      "df.write_ipc(path, compression='uncompressed'))"
    );
  // A TypeError is the reader tripping over bytes it took for a header ("Cannot read properties of
  // null (reading 'fieldsLength')" for a file cut short): its words are the code's, not the file's.
  if (e instanceof TypeError) return 'not Arrow IPC, or truncated';
  return `not Arrow IPC, or truncated: ${message}`;
}
