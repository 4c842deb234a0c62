#!/usr/bin/env node
// Fails (exit 1) when the relative imports of the TypeScript files under a folder (default lib/)
// form a cycle. Every import counts, `import type` and dynamic `import()` included: a cycle of
// types is still two files that each need the other, a concept in the wrong place.
// Usage: node scripts/check-cycles.mjs [folder]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'lib');

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

// `from '...'` (import/export ... from) and `import('...')` with a relative specifier; comments
// are dropped first so a commented-out import is not an edge.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)['"](\.{1,2}\/[^'"]+)['"]/gm;

function importsOf(file, known) {
  const text = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const edges = new Set();
  for (const match of text.matchAll(SPECIFIER)) {
    const target = join(dirname(file), match[1]).replace(/\.js$/, '.ts');
    for (const candidate of [target, `${target}.ts`, join(target, 'index.ts')]) {
      if (known.has(candidate)) {
        edges.add(candidate);
        break;
      }
    }
  }
  return [...edges];
}

const files = tsFiles(root).sort();
const known = new Set(files);
const graph = new Map(files.map((file) => [file, importsOf(file, known)]));

// Tarjan's strongly connected components: each component of more than one file (or a file that
// imports itself) is a cycle.
let index = 0;
const indexOf = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(file) {
  indexOf.set(file, index);
  low.set(file, index);
  index += 1;
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file)) {
    if (!indexOf.has(next)) {
      connect(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) {
      low.set(file, Math.min(low.get(file), indexOf.get(next)));
    }
  }
  if (low.get(file) === indexOf.get(file)) {
    const component = [];
    let member;
    do {
      member = stack.pop();
      onStack.delete(member);
      component.push(member);
    } while (member !== file);
    if (component.length > 1 || graph.get(file).includes(file)) cycles.push(component);
  }
}
for (const file of files) if (!indexOf.has(file)) connect(file);

// One concrete loop through a component, for the message.
function loopIn(component) {
  const members = new Set(component);
  const start = component.slice().sort()[0];
  const path = [start];
  const seen = new Set([start]);
  for (;;) {
    const here = path[path.length - 1];
    const nexts = graph.get(here).filter((next) => members.has(next));
    if (nexts.includes(start)) return [...path, start];
    const next = nexts.find((candidate) => !seen.has(candidate)) ?? nexts[0];
    if (seen.has(next)) return [...path.slice(path.indexOf(next)), next];
    seen.add(next);
    path.push(next);
  }
}

const shown = (file) => relative(process.cwd(), file);
if (cycles.length > 0) {
  console.error(`import cycles in ${shown(root) || '.'}: ${cycles.length}`);
  for (const component of cycles) {
    console.error(`  ${loopIn(component).map(shown).join(' -> ')}`);
    if (component.length > 2) console.error(`    (${component.length} files: ${component.map(shown).sort().join(', ')})`);
  }
  console.error('Move the shared part into a file both can import, so the imports run one way.');
  process.exit(1);
}
console.log(`no import cycles in ${shown(root) || '.'} (${files.length} files)`);
