// The command line without its addon (an install whose build failed, a moved checkout): one
// line that says what is missing, then what to do, with the program's name said once.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

import { runCli, scratchDir } from './helpers/cli.js';

const dir = scratchDir('addon-missing');

it('names the addon it looked for and how to build it', () => {
  const missing = join(dir, 'nowhere', 'distprompt.node');
  const r = runCli(['info'], dir, { env: { DISTPROMPT_ADDON: missing } });
  expect(r.status).toBe(1);
  expect(r.stderr.split('\n')[0]).toBe(`distprompt: could not load the native addon at ${missing}`);
  expect(r.stderr).toContain('It has not been built. Run `npm rebuild distprompt`');
});

it('names a file that is not an addon', () => {
  const bogus = join(dir, 'bogus.node');
  writeFileSync(bogus, 'not a shared object');
  const r = runCli(['info', '--model', 'random:micro'], dir, { env: { DISTPROMPT_ADDON: bogus } });
  expect(r.status).toBe(1);
  expect(r.stderr.split('\n')[0]).toBe(`distprompt: could not load the native addon at ${bogus}`);
  expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
});
