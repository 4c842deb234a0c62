// Writes safetensors files byte by byte for tests, including deliberately broken ones: the
// header is given as a raw object (or string) so a test can put anything in it.
import { writeFileSync } from 'node:fs';

export function safetensorsBytes(header: unknown, dataBytes: number, opts: { headerLength?: bigint } = {}): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(opts.headerLength ?? BigInt(json.length));
  const data = Buffer.alloc(dataBytes);
  for (let i = 0; i < dataBytes; i++) data[i] = i & 0xff;
  return Buffer.concat([len, json, data]);
}

export function writeSafetensors(
  path: string,
  header: unknown,
  dataBytes: number,
  opts: { headerLength?: bigint } = {},
): void {
  writeFileSync(path, safetensorsBytes(header, dataBytes, opts));
}

/** A well-formed header for F32 tensors laid end to end, and the data size it needs. */
export function f32Layout(tensors: Record<string, number[]>): { header: Record<string, unknown>; dataBytes: number } {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, shape] of Object.entries(tensors)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  return { header, dataBytes: off };
}
