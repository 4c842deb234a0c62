// package.json against the checkout and against what `npm pack` puts in the tarball a user
// installs: every path the package ships (`files`) exists; the tarball holds what the install
// script and the runtime read, and none of the repository's tests, benchmarks or build outputs;
// the Node versions it claims are ones its install-time dependencies accept.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
interface PackageJson {
  files: string[];
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  engines: { node: string };
  dependencies: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

it('every entry of files exists (dist/ once built)', () => {
  // '!' entries leave files out; they name patterns, not paths.
  const missing = pkg.files.filter((f) => !f.startsWith('!') && !existsSync(join(root, f)));
  expect(missing).toEqual([]);
});

describe('the packed tarball (npm pack --dry-run, of dist/ as built)', () => {
  let files: Map<string, number>;
  let size: number;
  beforeAll(() => {
    // --ignore-scripts: `prepare` would compile first; the list is of the tree as it is.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: root,
      encoding: 'utf8',
    });
    const [packed] = JSON.parse(out) as { size: number; files: { path: string; size: number }[] }[];
    files = new Map(packed.files.map((f) => [f.path, f.size]));
    size = packed.size;
  });
  const clean = (p: string) => posix.normalize(p.replace(/^\.\//, ''));

  it("holds package.json's entry points", () => {
    const named = [pkg.main, pkg.types, ...Object.values(pkg.bin)];
    for (const e of Object.values(pkg.exports)) named.push(...(typeof e === 'string' ? [e] : Object.values(e)));
    expect(named.map(clean).filter((p) => !files.has(p))).toEqual([]);
  });

  it('holds every file the install script imports, and every native source the build compiles', () => {
    const missing: string[] = [];
    const todo = ['scripts/install.mjs'];
    for (const script of todo) {
      if (!files.has(script)) missing.push(script);
      const text = readFileSync(join(root, script), 'utf8');
      for (const [, spec] of text.matchAll(/from '(\.[^']+)'/g)) {
        const p = posix.join(posix.dirname(script), spec);
        if (!todo.includes(p)) todo.push(p);
      }
    }
    expect(missing).toEqual([]);
    // binding.gyp runs scripts of its own as it is read.
    const gypScripts = [
      ...readFileSync(join(root, 'binding.gyp'), 'utf8').matchAll(/node (scripts\/[\w-]+\.mjs)/g),
    ].map((m) => m[1]);
    expect(gypScripts).toContain('scripts/gyp-sources.mjs');
    for (const f of ['CMakeLists.txt', 'binding.gyp', ...gypScripts]) expect(files.has(f), f).toBe(true);
    const sources = execFileSync('git', ['ls-files', 'native'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.filter((s) => !files.has(s))).toEqual([]);
  });

  it('holds every module the compiled library imports or starts as a worker, and the study files', () => {
    const unresolved: string[] = [];
    for (const path of files.keys()) {
      if (!path.startsWith('dist/') || !path.endsWith('.js')) continue;
      const text = readFileSync(join(root, path), 'utf8');
      for (const m of text.matchAll(/(?:from |import\(|workerUrl\()'(\.[^']+)'/g)) {
        const target = posix.join(posix.dirname(path), m[1]);
        if (!files.has(target)) unresolved.push(`${path} -> ${m[1]}`);
      }
    }
    expect(unresolved).toEqual([]);
    const studies = execFileSync('git', ['ls-files', 'studies'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    expect(studies.filter((s) => !files.has(s))).toEqual([]);
  });

  // A source map names lib/*.ts, which the package does not ship: a debugger would open nothing.
  it('holds no tests, benchmarks, build outputs, developer scripts, source maps or large files', () => {
    const unwanted = [...files.keys()].filter(
      (p) =>
        /^(test|bench|build|examples|node_modules|\.distprompt-torch|dist\/(bench|test))\//.test(p) ||
        /^scripts\/(check-|pack-)/.test(p) ||
        p.endsWith('.node') ||
        p.endsWith('.map') ||
        p.endsWith('.arrow'),
    );
    expect(unwanted).toEqual([]);
    expect([...files].filter(([, bytes]) => bytes > 256 * 1024)).toEqual([]);
    expect(size).toBeLessThan(1024 * 1024);
  });
});

it("a CommonJS script can require('distprompt') where Node requires ES modules, as TypeScript lets it", () => {
  // tsc --module nodenext compiles require('distprompt') in a CommonJS file (it resolves `types`);
  // exports without a condition require matches made every such script fail at run time with
  // ERR_PACKAGE_PATH_NOT_EXPORTED. The script resolves this package by its own name.
  const script = join(root, 'test', 'fixtures', 'consumer', 'require.cjs');
  const r = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
  const requiresEsm = (process.features as { require_module?: boolean }).require_module === true;
  if (requiresEsm) expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: 'function function' });
  else expect(r.stderr).toMatch(/ERR_REQUIRE_ESM/);
});

it('claims only Node versions that its install-time dependencies accept (engines)', () => {
  // The dependency closure as installed: each package's package.json, found as Node finds it.
  const semver = createRequire(join(root, 'node_modules', 'cmake-js', 'package.json'))('semver') as {
    subset(sub: string, dom: string): boolean;
  };
  const narrower: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string, from: string) => {
    const require = createRequire(join(from, 'package.json'));
    let manifest: string;
    try {
      manifest = require.resolve(`${name}/package.json`);
    } catch {
      return; // an optional dependency of another platform, or one exporting no package.json
    }
    if (seen.has(manifest)) return;
    seen.add(manifest);
    const dep = JSON.parse(readFileSync(manifest, 'utf8')) as Partial<PackageJson>;
    const theirs = dep.engines?.node;
    if (theirs && !semver.subset(pkg.engines.node, theirs)) narrower.push(`${name} ${theirs}`);
    for (const d of Object.keys(dep.dependencies ?? {})) visit(d, dirname(manifest));
  };
  for (const d of Object.keys(pkg.dependencies)) visit(d, root);
  expect(seen.size).toBeGreaterThan(Object.keys(pkg.dependencies).length);
  expect(narrower).toEqual([]);
});
