// The commands beyond `info`, each in its own file; registered here so main.ts stays short.
import type { Command } from 'commander';

export async function registerCommands(program: Command): Promise<void> {
  void program;
}
