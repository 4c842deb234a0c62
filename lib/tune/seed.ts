// A row's seed comes from (sweep seed, target id, init id) and nothing else (DESIGN.md
// decision 1), so a row starts from the same prompt alone, in any batch, on any shard.
// FNV-1a 64-bit over the three values, folded to 53 bits so it survives a JS number.
export function rowSeed(sweepSeed: number, targetId: string, initId: number): number {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const text = `${sweepSeed}\u0000${targetId}\u0000${initId}`;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= BigInt(byte);
    h = (h * prime) & 0xffffffffffffffffn;
  }
  return Number(h & 0x1fffffffffffffn);
}
