// distprompt command line: sweep | study | targets | tune | bound | plot | report | merge | info.
// Each command parses its flags, calls the library (lib/run, lib/tune, …) and prints. Loaded by
// main.ts once Ctrl-C is heard; a command's library is loaded when that command runs (startup.ts).
import { Command, CommanderError } from 'commander';

import { checkWorkingFolder } from './cwd.js';
import { EXIT, exitCodeFor, exitCodeMeanings, UsageError } from './exit.js';
import { debugSwitch } from '../io/env-switch.js';
import { registerInfo } from './info.js';
import { registerCommands } from './commands.js';
import { commandLineMessage, commandLineParts } from './flag-words.js';
import { VERSION } from '../version.js';
import { stdoutClosed, watchStdout } from './stdout.js';

/**
 * commander shows a string default as JSON, (default: "cpu"), where the defaults a command states
 * in its own descriptions read (default: cpu): one style in every command's help.
 */
function plainDefaults(command: Command): void {
  for (const o of command.options)
    if (typeof o.defaultValue === 'string' && o.defaultValueDescription === undefined)
      o.defaultValueDescription = o.defaultValue;
  command.commands.forEach(plainDefaults);
}

const program = new Command();
program
  .name('distprompt')
  .description('Which next-token distributions can a language model be prompted into producing?')
  .version(VERSION)
  .exitOverride()
  .showHelpAfterError()
  // Where a user looks first: what an exit code means and where the rest is written down.
  .addHelpText(
    'after',
    [
      '',
      'Exit codes:',
      ...exitCodeMeanings().map(([code, meaning]) => `  ${String(code).padEnd(5)}${meaning}`),
      '',
      "'distprompt <command> --help' lists a command's flags with their defaults; the package's",
      'README.md says what each does, docs/sweeps.md every spec field, docs/results-schema.md every',
      'results column.',
    ].join('\n'),
  );
registerInfo(program);
registerCommands(program);
plainDefaults(program);
watchStdout();
// The command whose action runs: its flags are the words its errors are said in.
let ran: Command | undefined;
program.hook('preAction', (_program, command) => {
  ran = command;
});

try {
  checkWorkingFolder();
  const debug = debugSwitch();
  if (debug.refused) throw new UsageError(debug.refused);
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander already printed its message; help and version are not errors.
    process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.invalid;
  } else {
    const message = commandLineMessage(program, ran, e);
    // With --json the error is an event too, its message's parts beside it: a device run's parent
    // (lib/run/devices.ts) says why its worker failed in its own caller's words. A worker it
    // started leaves the saying to it, which would otherwise be read twice.
    const event = ran?.opts().json === true && !stdoutClosed.aborted;
    if (!(event && process.env.DISTPROMPT_ERRORS_AS_EVENTS === '1')) console.error(`distprompt: ${message}`);
    // Off where refused: this path tells that refusal too.
    if (debugSwitch().on) console.error(e);
    process.exitCode = exitCodeFor(e);
    if (event)
      process.stdout.write(
        `${JSON.stringify({ event: 'error', exitCode: process.exitCode, message, parts: commandLineParts(ran, e) })}\n`,
      );
  }
}
