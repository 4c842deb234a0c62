#!/usr/bin/env node
// The distprompt command's entry (program.ts is the command line). Ctrl-C is heard before anything
// else loads: until a command's own handling takes over, it ends the start cleanly (startup.ts).
import { interruptDuringStartup } from './startup.js';

interruptDuringStartup();
await import('./program.js');
