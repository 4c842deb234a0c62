// What can be told of the addon file before it is loaded. A load hands the file to the dynamic
// loader, which cannot be undone: a shared library cut short (a link killed half-way) is mapped
// past its end and the process dies of SIGBUS, with no error to catch.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';

/**
 * Beside the addon while scripts/install.mjs builds it, removed once the new one loads: a build
 * stopped half-way or failed leaves it, and the addon beside it is an older or a partial one. A
 * build whose addon then does not load leaves it holding { loadError, advice } as JSON.
 */
export const unfinishedMarker = (path: string): string => `${path}.unfinished`;

/** Why the last build's addon did not load, as the install said it: { loadError, advice }, or null (a build that did not finish). */
function loadFailure(marker: string): { loadError: string; advice: string } | null {
  try {
    const said: unknown = JSON.parse(readFileSync(marker, 'utf8'));
    if (said && typeof said === 'object' && 'loadError' in said && 'advice' in said) {
      const { loadError, advice } = said;
      if (typeof loadError === 'string' && typeof advice === 'string') return { loadError, advice };
    }
  } catch {
    // the text a build writes as it starts, or one cut short: not JSON
  }
  return null;
}

/** The first bytes of an ELF file, as far as its section header table (which ld writes last). */
function elfEnd(header: Buffer): number | null {
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) return null;
  const little = header[5] === 1;
  const u16 = (at: number) => (little ? header.readUInt16LE(at) : header.readUInt16BE(at));
  if (header[4] === 2) {
    const shoff = Number(little ? header.readBigUInt64LE(0x28) : header.readBigUInt64BE(0x28));
    return shoff + u16(0x3a) * u16(0x3c);
  }
  const shoff = little ? header.readUInt32LE(0x20) : header.readUInt32BE(0x20);
  return shoff + u16(0x2e) * u16(0x30);
}

/**
 * Why the addon file at `path` must not be loaded, in words, or null when it may be. `fromEnv`:
 * the path is DISTPROMPT_ADDON's, not the build folder's.
 */
export function addonFileProblem(path: string, fromEnv: boolean, rebuild: string): string | null {
  if (!existsSync(path)) {
    return fromEnv
      ? 'DISTPROMPT_ADDON names a file that does not exist: point it at a built distprompt.node, or unset it'
      : `It has not been built. Run ${rebuild}.`;
  }
  const marker = unfinishedMarker(path);
  if (existsSync(marker)) {
    const failed = loadFailure(marker);
    if (failed)
      return `The last build of it finished, but the addon does not load (${failed.loadError}): ${failed.advice}, then run ${rebuild}.`;
    return `The last build of it did not finish (stopped or failed), so this one may be older or partial. Run ${rebuild}.`;
  }
  const fix = fromEnv ? 'Point DISTPROMPT_ADDON at a built distprompt.node.' : `Run ${rebuild}.`;
  const stat = statSync(path);
  if (!stat.isFile()) return `It is not a file. ${fix}`;
  // The ELF checks apply where addons are ELF files (Linux); elsewhere the loader alone judges.
  if (process.platform !== 'linux') return null;
  const header = Buffer.alloc(64);
  const fd = openSync(path, 'r');
  let read: number;
  try {
    read = readSync(fd, header, 0, 64, 0);
  } finally {
    closeSync(fd);
  }
  const end = elfEnd(header.subarray(0, read));
  if (end === null) return `It is not a native addon (not an ELF shared library). ${fix}`;
  if (end > stat.size)
    return `It is cut short (${stat.size} of at least ${end} bytes), as a build stopped half-way leaves it. Run ${rebuild}.`;
  return null;
}
