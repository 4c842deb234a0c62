// Finds a Python that can import the given modules (for tests that compare with transformers
// or read Arrow files with pyarrow): DISTPROMPT_PYTHON, the package's private environment,
// the development environment, then python3.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export function findPython(modules: string[]): string | null {
  const candidates = [
    process.env.DISTPROMPT_PYTHON,
    join(root, '.distprompt-torch', 'venv', 'bin', 'python'),
    join(root, '.torch-venv', 'bin', 'python'),
    'python3',
  ].filter((p): p is string => Boolean(p) && (p === 'python3' || existsSync(p!)));
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return py;
  }
  return null;
}
