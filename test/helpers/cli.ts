// The command line as a user runs it: the built CLI (npm test builds it) in a child process,
// in a folder of the test's own.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** What `npx distprompt` runs. */
export const cli = join(import.meta.dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');

/** A new folder for a test file's runs, removed when its tests are done. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `distprompt-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A script at `path` holding `text`, made executable: a stand-in tool a test puts on PATH. */
export function executable(path: string, text: string): string {
  writeFileSync(path, text);
  chmodSync(path, 0o755);
  return path;
}

/** A maker of fresh folders, one per call, inside one scratch folder removed when the file's tests are done. */
export function scratchDirs(name: string): () => string {
  const root = scratchDir(name);
  return () => mkdtempSync(join(root, 'run-'));
}

export interface CliRunOptions {
  /** added to this process's environment */
  env?: Record<string, string>;
  /** flags for node itself, before the script (e.g. a small heap) */
  node?: string[];
  /** ms before the run is killed (default 10 minutes: the slowest CLI test's sweep) */
  timeout?: number;
}

/**
 * Node flags (CliRunOptions.node) under which `hooks`, the source of a module loader hook (its
 * `load`), sees every module the CLI loads: to fail one or act at a known moment of the start.
 */
export function withLoaderHooks(hooks: string): string[] {
  return withPreload(
    `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`,
  );
}

/** Node flags (CliRunOptions.node) under which `source`, a module, runs in the CLI's process before the CLI. */
export function withPreload(source: string): string[] {
  return ['--import', `data:text/javascript,${encodeURIComponent(source)}`];
}

/** `distprompt ...args` in `cwd`, to its end: its status, and stdout and stderr as text. */
export function runCli(args: readonly string[], cwd: string, options: CliRunOptions = {}) {
  return spawnSync(process.execPath, [...(options.node ?? []), cli, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: options.timeout ?? 600_000,
    // A run past its time may be stuck where its own SIGTERM handler never gets to run.
    killSignal: 'SIGKILL',
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
}

/**
 * runCli without blocking this process: independent runs awaited together share the cores, where
 * one after another each spends most of its time starting node and loading the CLI's modules.
 */
export function runCliAsync(
  args: readonly string[],
  cwd: string,
  options: CliRunOptions = {},
): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...(options.node ?? []), cli, ...args], {
    cwd,
    timeout: options.timeout ?? 600_000,
    killSignal: 'SIGKILL',
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
  });
  // As spawnSync's: an empty pipe on stdin.
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

/** Root may write anywhere: a permission case runs the CLI as the unprivileged user 'nobody' (skipped where it cannot). */
export const canRunAsNobody = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

/** `distprompt ...args` in `cwd` as the user 'nobody' (canRunAsNobody), to its end. */
export function runCliAsNobody(args: readonly string[], cwd: string) {
  return spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args], {
    cwd,
    encoding: 'utf8',
  });
}

/**
 * `distprompt ...args` in `cwd`, sent SIGINT at each of `afterMs` once its stderr says `when` (from
 * its start where `when` is null), to its end: its exit code or signal, its stderr, and whether a
 * SIGINT was sent.
 */
export async function interruptWhen(args: readonly string[], cwd: string, when: string | RegExp | null, afterMs = [0]) {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  let sent = false;
  const send = () => {
    sent = true;
    for (const ms of afterMs) setTimeout(() => child.kill('SIGINT'), ms);
  };
  if (when === null) send();
  child.stderr.on('data', (d) => {
    err += d;
    if (!sent && (typeof when === 'string' ? err.includes(when) : when?.test(err))) send();
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.on('exit', (c, s) => r([c, s])),
  );
  return { code, signal, err, sent };
}
