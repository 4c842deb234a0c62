// A signal after a command has released its interrupt (its outcome decided, the process ending:
// the model disposed, stdout flushed) lets the process end with the exit code the command set,
// where Node's default would end a finished run with 130; a second one ends it at once. A child
// process runs the CLI's own interrupt (dist) and signals itself at a fixed point: no timing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

const dist = (f: string) => pathToFileURL(join(import.meta.dirname, '..', 'dist', 'lib', 'cli', f)).href;

/** A command that releases its interrupt, sets `code`, then is sent `signals` while it ends. */
function ending(code: number, signals: number) {
  const script = `
    const { onInterrupt } = await import(${JSON.stringify(dist('interrupt.js'))});
    const { ProgressReporter } = await import(${JSON.stringify(dist('progress.js'))});
    const interrupt = onInterrupt(new ProgressReporter('quiet'));
    interrupt.release();
    process.exitCode = ${code};
    // Spaced, so that the kernel cannot merge two pending signals into one.
    for (let i = 0; i < ${signals}; i++) await new Promise((r) => setTimeout(r, 50)).then(() => process.kill(process.pid, 'SIGINT'));
    setTimeout(() => console.log('ended as decided'), 100);
  `;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
}

describe('a signal after the command released its interrupt', () => {
  it('lets a finished run end with its own exit code (0), not 130', () => {
    const r = ending(0, 1);
    expect(r.signal).toBeNull();
    expect(r.stdout).toContain('ended as decided');
    expect(r.status).toBe(0);
  });

  it('keeps the code an interrupted or failed command set', () => {
    expect(ending(130, 1).status).toBe(130);
    expect(ending(3, 1).status).toBe(3);
  });

  it('a second one ends the process at once, by the signal', () => {
    const r = ending(0, 2);
    expect(r.stdout).not.toContain('ended as decided');
    expect(r.signal).toBe('SIGINT');
  });
});
