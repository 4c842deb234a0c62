// tsc as a user's project runs it: this checkout's TypeScript on a tsconfig of the tests', with
// 'distprompt' resolved as an installed package (node_modules/distprompt, its exports and types).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** What tsc reports for the project `tsconfig` (flags after it override its options): '' when it compiles. */
export function tscErrors(tsconfig: string, flags: readonly string[] = []): string {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', tsconfig, ...flags], { cwd: root, encoding: 'utf8' });
    return '';
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    return stdout || stderr || String(e);
  }
}
