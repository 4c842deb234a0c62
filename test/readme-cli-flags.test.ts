// The flags README.md and docs/ name against the commands that take them: each `distprompt
// <command> …` line written there uses only that command's flags, and every other flag the text
// names is a flag of some command (or of the tool the text says it belongs to), so a renamed or
// removed flag fails here rather than in a reader's shell.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { registerCommands } from '../lib/cli/commands.js';
import { registerInfo } from '../lib/cli/info.js';

const root = join(import.meta.dirname, '..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => join('docs', f))].map((path) => ({
  path,
  text: readFileSync(join(root, path), 'utf8'),
}));

const program = new Command();
registerInfo(program);
registerCommands(program);
/** Each command's flags, long and short, as commander parses them (help included). */
const flagsOf = new Map(
  program.commands.map((c) => [
    c.name(),
    new Set(['--help', '-h', ...c.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f))]),
  ]),
);
const anyFlag = new Set([...flagsOf.values()].flatMap((s) => [...s]).concat(['--version', '-V']));

/** Flags the text names that belong to other tools, each with where it is defined. */
const OTHER_TOOLS: Record<string, string> = {
  '--foreground-scripts': 'npm install',
  '--module': 'tsc',
  '--quick': 'bench/run.ts',
  '--out-dir': 'bench/run.ts',
  '--no-build': 'scripts/check-sanitizers.sh',
  '--trace': 'bench/bound-targets.ts',
};

const commandLines = pages.flatMap(({ path, text }) =>
  [...text.matchAll(/distprompt (\w+)((?: [^`\n#]*)?)/g)]
    .filter((m) => flagsOf.has(m[1]))
    .map((m) => ({
      path,
      command: m[1],
      line: m[0],
      flags: [...m[2].matchAll(/(?<=\s)(--?[a-zA-Z][\w-]*)/g)].map((f) => f[1]),
    })),
);

describe('the flags the docs name', () => {
  it("each `distprompt <command> …` line uses only that command's flags", () => {
    expect(commandLines.length).toBeGreaterThan(30);
    const wrong = commandLines.flatMap(({ path, command, line, flags }) =>
      flags
        .filter((f) => !flagsOf.get(command)!.has(f))
        .map((f) => `${path}: ${f} is not a flag of ${command}: ${line}`),
    );
    expect(wrong).toEqual([]);
  });

  it('every other flag named is one of some command, or of the tool it belongs to', () => {
    const named = pages.flatMap(({ path, text }) =>
      [...text.matchAll(/(?<![\w-])(--[a-z][\w-]*)/g)].map((m) => ({ path, flag: m[1] })),
    );
    expect(named.length).toBeGreaterThan(50);
    const unknown = named.filter(({ flag }) => !anyFlag.has(flag) && !(flag in OTHER_TOOLS));
    expect(unknown.map(({ path, flag }) => `${path}: ${flag}`)).toEqual([]);
    for (const [flag, where] of Object.entries(OTHER_TOOLS))
      if (where.includes('/')) expect(readFileSync(join(root, where), 'utf8'), `${flag} in ${where}`).toContain(flag);
  });
});
