// The real `selfsup` command-line program for tests that parse arguments
// through it: every command throws instead of exiting and prints nothing.
import { Command } from 'commander';
import { program } from '../../lib/cli/main';

/** The real program, throwing instead of exiting, silent. */
export function quietProgram(): Command {
  const p = program();
  for (const c of [p, ...p.commands]) {
    c.exitOverride();
    c.configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  }
  return p;
}
