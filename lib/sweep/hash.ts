// Seeds come from a stable hash of strings, never from a row's position, so a row gets the same
// initial prompt alone, in any batch, on any shard and after a resume (design decision 1).

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

/**
 * A seed in [0, 2^53): a safe JS integer that native code can take as int64. 53 bits keep
 * collisions negligible for millions of rows (32 bits would collide within ~80k).
 */
export function stableSeed(sweepSeed: number, ...parts: string[]): number {
  return Number(fnv1a64(String(sweepSeed), ...parts) & ((1n << 53n) - 1n));
}
