// One linear pass over the raw header bytes, before JSON.parse sees them, for what JSON.parse
// cannot tell us: how deep the JSON nests (JSON.parse recurses: 10⁴ levels overflow the stack),
// where the top-level object closes (the header length must land there, padding aside), and
// whether an object repeats a key (JSON.parse keeps the last one silently). JSON's structural
// characters are ASCII, and UTF-8 never puts an ASCII byte inside a multi-byte character, so
// the bytes can be scanned before they are decoded.

export interface HeaderScan {
  /** index of the byte closing the top-level object; -1 when it never closes */
  end: number;
  /** the JSON nests deeper than the limit (the scan stopped there) */
  tooDeep: boolean;
  /** the first repeated key: `within` is the enclosing key ('' at the top level) */
  duplicate?: { key: string; within: string };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const utf8 = new TextDecoder('utf-8');

function keyText(b: Uint8Array, open: number, close: number): string {
  const raw = b.subarray(open + 1, close);
  if (!raw.includes(BACKSLASH)) return utf8.decode(raw);
  // Escapes: "\u0061" and "a" are the same key to JSON.parse, so compare decoded.
  try {
    return JSON.parse(utf8.decode(b.subarray(open, close + 1))) as string;
  } catch {
    return utf8.decode(raw);
  }
}

export function scanHeader(b: Uint8Array, maxDepth: number): HeaderScan {
  // One frame per open object/array: its keys (null for arrays) and the key it sits under.
  const keys: (Set<string> | null)[] = [];
  const under: string[] = [];
  let lastKey = '';
  let expectKey = false;
  let duplicate: HeaderScan['duplicate'];
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) {
      let j = i + 1;
      while (j < b.length && b[j] !== QUOTE) j += b[j] === BACKSLASH ? 2 : 1;
      if (j >= b.length) return { end: -1, tooDeep: false, duplicate };
      const top = keys[keys.length - 1];
      if (expectKey && top) {
        const key = keyText(b, i, j);
        if (top.has(key) && !duplicate) duplicate = { key, within: under[under.length - 1] };
        top.add(key);
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (keys.length >= maxDepth) return { end: -1, tooDeep: true, duplicate };
      under.push(keys.length === 0 ? '' : lastKey);
      keys.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      keys.pop();
      under.pop();
      if (keys.length === 0) return { end: i, tooDeep: false, duplicate };
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = keys[keys.length - 1] != null;
    } else if (c === 0x3a /* : */) {
      expectKey = false;
    }
  }
  return { end: -1, tooDeep: false, duplicate };
}

/** A value echoed in a message, cut so that a hostile header cannot make a huge one. */
export function clip(v: unknown, max = 80): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
