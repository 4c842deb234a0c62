#!/usr/bin/env node
// The node_modules a GPU machine without Node needs to run bench/gpu/run.sh, found by walking package.json dependency
// fields the way Node resolves them (nearest node_modules first, then each parent's), not
// by guessing. Used by scripts/pack-device.sh.
//
//   node bench/gpu/closure.mjs ROOT [--exclude name,...] [--extra name,...] [--drop name,...]
//
// Roots: ROOT/package.json's `dependencies` (minus --exclude) plus --extra (dev tools the run
// needs, e.g. vitest). --drop: packages never entered wherever they are reached (ones a
// dependency only imports lazily for work the run never does, e.g. vite's lightningcss). Followed: dependencies, optionalDependencies that are installed, and
// peerDependencies that are installed and not marked optional. Prints one package folder per
// line, relative to ROOT (e.g. node_modules/vite, node_modules/apache-arrow/node_modules/commander);
// a folder's own nested node_modules is listed only where something reaches into it.
// Exit 1 when a required (non-optional) dependency is not installed; exit 2, naming what is wrong,
// on a command line it does not read (no ROOT, an unknown or repeated flag, a flag without its list).
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

// Read here, not by bench/flags.ts as the benchmarks' flags are: pack-device.sh runs this where
// no dist/ need exist (it compiles dist/ in a copy of the tree), and Node does not import the .ts.
const USAGE = 'node bench/gpu/closure.mjs ROOT [--exclude name,...] [--extra name,...] [--drop name,...]';
const refuse = (what) => {
  console.error(`node bench/gpu/closure.mjs: ${what}\nUsage: ${USAGE}`);
  process.exit(2);
};
const argv = process.argv.slice(2);
const lists = { '--exclude': null, '--extra': null, '--drop': null };
let rootArg;
for (let i = 0; i < argv.length; i++) {
  const word = argv[i];
  if (!word.startsWith('-')) {
    if (rootArg !== undefined) refuse(`'${word}' is a second ROOT ('${rootArg}' is given already)`);
    rootArg = word;
    continue;
  }
  if (!Object.hasOwn(lists, word)) refuse(`unknown flag ${word}`);
  if (lists[word]) refuse(`${word} is given twice: give it once`);
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('-') || value.trim() === '')
    refuse(`${word} takes a comma list of package names, given ${value ? `'${value}'` : 'none'}`);
  lists[word] = value.split(',').filter(Boolean);
  i++;
}
if (rootArg === undefined) refuse('no ROOT: give the folder whose package.json the walk starts from');
if (!existsSync(join(rootArg, 'package.json'))) refuse(`ROOT '${rootArg}' has no package.json`);
const root = realpathSync(rootArg);
const exclude = new Set(lists['--exclude']);
const extra = lists['--extra'] ?? [];
const drop = new Set(lists['--drop']);

const readPkg = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Node's lookup: DIR/node_modules/NAME, then each ancestor's node_modules, up to ROOT. */
function resolvePkg(name, fromDir) {
  let dir = fromDir;
  for (;;) {
    const c = join(dir, 'node_modules', name);
    if (existsSync(join(c, 'package.json'))) return c;
    if (dir === root || !dir.startsWith(root)) return null;
    // Parents that are a node_modules or @scope folder just find nothing, as in Node.
    dir = dirname(dir);
  }
}

const found = new Map(); // absolute dir -> name
const missing = [];
function visit(name, fromDir, why, optional) {
  if (drop.has(name)) return;
  const dir = resolvePkg(name, fromDir);
  if (!dir) {
    if (!optional) missing.push(`${name} (needed by ${why})`);
    return;
  }
  if (found.has(dir)) return;
  found.set(dir, name);
  const pkg = readPkg(dir);
  for (const d of Object.keys(pkg.dependencies ?? {})) visit(d, dir, name, false);
  for (const d of Object.keys(pkg.optionalDependencies ?? {})) visit(d, dir, name, true);
  const meta = pkg.peerDependenciesMeta ?? {};
  for (const d of Object.keys(pkg.peerDependencies ?? {})) if (!meta[d]?.optional) visit(d, dir, name, true);
}

const top = readPkg(root);
for (const d of Object.keys(top.dependencies ?? {})) if (!exclude.has(d)) visit(d, root, top.name, false);
for (const d of extra) visit(d, root, '--extra', false);

const rels = [...found.keys()].map((d) => relative(root, d).split(sep).join('/')).sort();
process.stdout.write(rels.join('\n') + '\n');
if (missing.length) {
  console.error(`closure: not installed: ${missing.join(', ')}`);
  process.exitCode = 1;
}
