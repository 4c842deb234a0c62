// What a file's first bytes say it is, for a message where it was given for something else (a
// targets file named .json that holds Arrow, a results file given as a sweep's spec). On its own,
// without a reader of any format, so that a command may ask before it loads apache-arrow.
import { opensAsFile, opensAsStream } from './arrow-framing.js';

/**
 * Arrow (the IPC file magic, or a stream's first message marker), JSON text, or safetensors (a
 * header length, then a JSON header); undefined for anything else.
 */
export function formatOfBytes(buf: Buffer): 'arrow' | 'safetensors' | 'json' | undefined {
  if (opensAsFile(buf) || opensAsStream(buf)) return 'arrow';
  const text = buf
    .subarray(0, 64)
    .toString('utf8')
    .replace(/^\ufeff/, '')
    .trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  if (buf.length >= 9 && buf.readBigUInt64LE(0) < BigInt(buf.length) && buf[8] === 0x7b) return 'safetensors';
  return undefined;
}
