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

// Not fatal: broken sequences become U+FFFD. ignoreBOM keeps a leading U+FEFF: it is a token's own
// character (Llama 3's and Qwen's '\uFEFFusing'), which the decoder's default would strip, leaving
// the token the text of another ('using') and promptText short of a character the model read.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/** The bytes of a byte-level token spelling; undefined if a character is outside the alphabet. */
export function byteLevelBytes(token: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const ch of token) {
    const b = BYTE_OF_CHAR.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}

/** The bytes of a SentencePiece spelling: '▁' is a space, '<0xNN>' a raw byte (byte fallback). */
export function sentencePieceBytes(token: string): Uint8Array {
  const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (byte) return Uint8Array.of(parseInt(byte[1], 16));
  return encoder.encode(token.replaceAll('\u2581', ' '));
}

/** UTF-8 of a text; with utf8Text, the way between a token's text and its bytes. */
export const utf8Bytes = (text: string): Uint8Array => encoder.encode(text);

/**
 * Bytes read one after another as UTF-8: the pieces of a multi-byte character, split over
 * tokens, spell it; bytes that form no character become U+FFFD.
 */
export function utf8Text(parts: readonly Uint8Array[]): string {
  if (parts.length === 1) return utf8.decode(parts[0]); // one token: vocabulary-wide passes take this path
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return utf8.decode(all);
}
