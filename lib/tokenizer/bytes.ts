// GPT-2's byte-level alphabet: each of the 256 bytes is spelled as one printable character
// (printable bytes as themselves, the rest shifted past U+0100), so 'Ġ' (U+0120) is the
// space byte 0x20. Every byte-level BPE (GPT-2, Llama 3, Qwen, Falcon) uses the same table.
function build(): Map<string, number> {
  const keep: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) keep.push(b);
  for (let b = 0xa1; b <= 0xac; b++) keep.push(b);
  for (let b = 0xae; b <= 0xff; b++) keep.push(b);
  const kept = new Set(keep);
  const map = new Map<string, number>();
  for (const b of keep) map.set(String.fromCodePoint(b), b);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    if (!kept.has(b)) map.set(String.fromCodePoint(256 + next++), b);
  }
  return map;
}

export const BYTE_OF_CHAR: ReadonlyMap<string, number> = build();

const utf8 = new TextDecoder('utf-8'); // not fatal: broken sequences become U+FFFD

/** Decodes a byte-level token spelling; undefined if a character is outside the alphabet. */
export function byteLevelText(token: string): string | undefined {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = BYTE_OF_CHAR.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return utf8.decode(new Uint8Array(bytes));
}

/** SentencePiece spelling: '▁' is a space, '<0xNN>' a raw byte (byte fallback). */
export function sentencePieceText(token: string): string {
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (byte) return utf8.decode(new Uint8Array([parseInt(byte[1], 16)]));
  return token.replaceAll('\u2581', ' ');
}
