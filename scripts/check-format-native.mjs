// The C++ sources against .clang-format: `--fix` rewrites them; without it, a file that is not
// formatted fails the check. Skips with a notice where clang-format is not installed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const fix = process.argv.includes('--fix');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(cc|h|cu)$/.test(e.name)) files.push(p);
  }
};
walk('native');
const probe = spawnSync('clang-format', ['--version'], { encoding: 'utf8' });
if (probe.error) {
  console.log('NOTICE: clang-format not found (apt-get install clang-format); the C++ format check is skipped');
  process.exit(0);
}
const r = spawnSync('clang-format', fix ? ['-i', ...files] : ['--dry-run', '-Werror', ...files], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(fix ? 'clang-format failed' : 'C++ sources are not formatted: run `npm run format`');
  process.exit(1);
}
console.log(`clang-format: ${files.length} C++ files ${fix ? 'formatted' : 'match .clang-format'}`);
