// Seeds come from a stable hash of strings, never from a row's position, so a row gets the same
// initial prompt alone, in any batch, on any shard and after a resume (docs/design.md, "Row seeds").

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits, over the UTF-8 bytes of the parts joined by a 0 byte (so ('ab','c') ≠ ('a','bc')). */
export function fnv1a64(...parts: string[]): bigint {
  let h = FNV_OFFSET;
  const bytes = Buffer.from(parts.join('\u0000'), 'utf8');
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

const encoder = new TextEncoder();
let scratch = new Uint8Array(1024);

/**
 * fnv1a64's low 53 bits in plain numbers: the 64-bit state as four 16-bit limbs, the prime
 * 2^40 + 0x1b3 as a multiply and a shifted add. A sweep hashes every row's name when it is planned,
 * and BigInt arithmetic per byte made that the most of the plan's time (fnv1a64 stays as the
 * reference the tests check this against).
 */
function fnv1a53(parts: readonly string[]): number {
  const text = parts.join('\u0000');
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const bytes = encoder.encodeInto(text, scratch).written;
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < bytes; i++) {
    h0 ^= scratch[i];
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (h0 << 8) + (t1 >>> 16);
    const t3 = h3 * 0x1b3 + (h1 << 8) + (t2 >>> 16);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = t2 & 0xffff;
    h3 = t3 & 0xffff;
  }
  return (h3 & 0x1f) * 2 ** 48 + h2 * 2 ** 32 + h1 * 2 ** 16 + h0;
}

/**
 * A seed in [0, 2^53): a safe JS integer that native code can take as int64. 53 bits keep
 * collisions negligible for millions of rows (32 bits would collide within ~80k).
 */
export function stableSeed(sweepSeed: number, ...parts: string[]): number {
  return fnv1a53([String(sweepSeed), ...parts]);
}
