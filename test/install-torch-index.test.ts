// The index the private environment's torch is fetched from (DISTPROMPT_TORCH_INDEX, else PyTorch's
// CPU wheels), where it cannot be reached: pip retried each request 5 times, each after its timeout,
// and the install sat silent for minutes. The install now asks the index first, from node: one that
// does not answer is named at once, and pip goes on from its own find-links and extra indexes where
// it has some, or the install stops. All on loopback: a closed port, a server that never answers,
// one that does. pip's settings are the test's own (PIP_CONFIG_FILE), read by the real pip.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { type Server, createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { executable, scratchDir } from './helpers/cli.js';

const root = join(import.meta.dirname, '..');
const work = scratchDir('torch-index');

/** The real Python whose pip reads the test's pip settings (`pip config list`). */
const realPython = spawnSync('python3', ['-c', 'import sys;print(sys.executable)'], {
  encoding: 'utf8',
}).stdout?.trim();
const pipRuns = Boolean(realPython) && spawnSync(realPython, ['-m', 'pip', '--version']).status === 0;

/**
 * A PATH with no python3: the build tools install.mjs checks for first (cmake, c++), and those the
 * stand-in Pythons run.
 */
const tools = mkdtempSync(join(work, 'bin-'));
for (const tool of ['cmake', 'c++', 'mkdir', 'cat', 'chmod']) {
  const dir = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, tool)));
  if (dir) symlinkSync(join(dir, tool), join(tools, tool));
}

/**
 * A package folder of its own with a base Python that makes a private environment whose python
 * hands `pip config list` to the real pip and writes down each `pip install` it is asked for
 * (pip.log, beside the package), then fails as a pip that found no torch does.
 */
function packageWithBasePython(): { pkg: string; base: string; pipLog: string } {
  const pkg = mkdtempSync(join(work, 'pkg-'));
  cpSync(join(root, 'scripts'), join(pkg, 'scripts'), { recursive: true });
  const pipLog = join(pkg, 'pip.log');
  const venvPython = [
    '#!/bin/sh',
    `[ "$1 $2 $3" = "-m pip config" ] && exec ${realPython} "$@"`,
    `echo "$*" >> ${pipLog}`,
    'echo "ERROR: No matching distribution found for torch" >&2',
    'exit 1',
  ].join('\n');
  const base = executable(
    join(mkdtempSync(join(work, 'base-')), 'python3'),
    `#!/bin/sh\n[ "$1 $2" = "-m venv" ] || exit 1\nmkdir -p "$3/bin"\ncat > "$3/bin/python" <<'EOF'\n${venvPython}\nEOF\nchmod +x "$3/bin/python"\n`,
  );
  return { pkg, base, pipLog };
}

/** The install of `pkg` with `env`, run beside this process's servers: its status, stderr and seconds. */
function install(pkg: string, base: string, env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [join(pkg, 'scripts', 'install.mjs'), '--force'], {
    env: { HOME: work, PATH: tools, DISTPROMPT_PYTHON: base, DISTPROMPT_BUILD_DIR: join(pkg, 'build'), ...env },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ status: number | null; stderr: string; seconds: number }>((done) =>
    child.on('close', (status) => done({ status, stderr, seconds: (Date.now() - started) / 1000 })),
  );
}

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** A loopback port that `server` listens on. */
async function listening(server: Server | ReturnType<typeof createServer>): Promise<number> {
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on: one that was listened on, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listening(server);
  await new Promise((done) => server.close(done));
  return port;
}

const noConfig = { PIP_CONFIG_FILE: '/dev/null' };

it.runIf(pipRuns)(
  'an index that refuses, and pip has no other source: the install stops at once, naming it',
  async () => {
    const { pkg, base, pipLog } = packageWithBasePython();
    const index = `http://127.0.0.1:${await closedPort()}/whl/cpu`;
    const r = await install(pkg, base, { ...noConfig, DISTPROMPT_TORCH_INDEX: index });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `distprompt: the torch index ${index} does not answer (ECONNREFUSED), and pip has no other source (find-links, ` +
        'extra-index-url): set DISTPROMPT_TORCH_INDEX to an index this machine reaches (a mirror), or DISTPROMPT_TORCH_DIR ' +
        'to a libtorch 2.x you have, or DISTPROMPT_NO_AUTO_TORCH=1 for the commands to run by hand',
    );
    expect(existsSync(pipLog)).toBe(false); // pip was never asked
    // nothing half-made is left for the next install to remove
    expect(existsSync(join(pkg, '.distprompt-torch', 'venv'))).toBe(false);
    expect(r.seconds).toBeLessThan(30);
  },
);

it.runIf(pipRuns)('a host that accepts and never answers is given seconds, not pip’s minutes', async () => {
  const silent = createServer(() => undefined); // connections held open, nothing said
  servers.push(silent as unknown as Server);
  const { pkg, base } = packageWithBasePython();
  const index = `http://127.0.0.1:${await listening(silent)}/whl/cpu`;
  const r = await install(pkg, base, { ...noConfig, DISTPROMPT_TORCH_INDEX: index, PIP_DEFAULT_TIMEOUT: '180' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(
    `the torch index ${index} does not answer (no answer within 4 s), and pip has no other source`,
  );
  expect(r.seconds).toBeLessThan(30);
});

it.runIf(pipRuns).each([
  ['find-links in its config file', (dir: string) => ({ PIP_CONFIG_FILE: pipConfig(dir, `find-links = ${dir}`) })],
  ['PIP_EXTRA_INDEX_URL', (dir: string) => ({ ...noConfig, PIP_EXTRA_INDEX_URL: `file://${dir}` })],
])('an index that refuses, and pip has %s: pip goes on without --index-url, saying so', async (_, settings) => {
  const { pkg, base, pipLog } = packageWithBasePython();
  const index = `http://127.0.0.1:${await closedPort()}/whl/cpu`;
  const r = await install(pkg, base, {
    ...settings(mkdtempSync(join(work, 'wheels-'))),
    DISTPROMPT_TORCH_INDEX: index,
  });
  expect(r.stderr).toContain(
    `distprompt: the torch index ${index} does not answer (ECONNREFUSED): installing without --index-url, from the ` +
      'find-links and extra indexes pip is set up with',
  );
  const asked = readFileSync(pipLog, 'utf8');
  expect(asked).toMatch(/^-m pip install .*torch$/m);
  expect(asked).not.toContain('--index-url');
});

it.runIf(pipRuns)('an index that answers changes nothing: pip is given it', async () => {
  const answering = createHttpServer((_, response) => response.end('<html><a href="torch/">torch</a></html>'));
  servers.push(answering);
  const { pkg, base, pipLog } = packageWithBasePython();
  const index = `http://127.0.0.1:${await listening(answering)}/whl/cpu`;
  const r = await install(pkg, base, { ...noConfig, DISTPROMPT_TORCH_INDEX: index });
  expect(r.stderr).not.toContain('does not answer');
  expect(readFileSync(pipLog, 'utf8')).toContain(
    `-m pip install --disable-pip-version-check --index-url ${index} torch`,
  );
});

/** A pip configuration file in `dir` whose [global] section holds `line`. */
function pipConfig(dir: string, line: string): string {
  const file = join(dir, 'pip.conf');
  writeFileSync(file, `[global]\n${line}\n`);
  return file;
}
