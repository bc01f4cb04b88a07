// The full help text of `selfsup` and of each command, word for word (issue 21, lib/cli's mutation
// score): every description, argument and option help a user reads is asserted, so an edit to one
// shows up here. Whitespace is collapsed (commander wraps at the terminal's width). After an intended
// change, write the printed texts into test/cli/fixtures/help-texts.json:
//   SELFSUP_PRINT_HELP_TEXTS=1 bash /work/wt/t.sh dist/test/cli/help-texts.test.js   (prints the JSON to copy)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { program } from '../../lib/cli/main';
import { MAIN_JOB_MINUTES } from '../../lib/cli/main-job';
import { list as listMethods } from '../../lib/ssl/registry';

/**
 * `selfsup --help` and `selfsup <command> --help` of every command, whitespace collapsed; the registry's
 * method list and the main job's minutes (which change with the registry and the presets) as placeholders.
 */
function helpTexts(): Record<string, string> {
  const p = program();
  const text = (c: Command): string => c.helpInformation().replace(/\s+/g, ' ').split(listMethods().join(', ')).join('<methods>')
    .split(`about ${MAIN_JOB_MINUTES} minutes`).join('about <minutes> minutes');
  return Object.fromEntries([['selfsup', text(p)], ...p.commands.map((c) => [c.name(), text(c)])]);
}

const FILE = path.join(__dirname, '..', '..', '..', 'test', 'cli', 'fixtures', 'help-texts.json');

describe('cli: every help text, word for word', () => {
  if (process.env.SELFSUP_PRINT_HELP_TEXTS === '1') process.stdout.write(`${JSON.stringify(helpTexts(), null, 2)}\n`);
  const expected = JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, string>;
  it('the same commands as the recorded texts', () => {
    assert.deepEqual(Object.keys(helpTexts()).sort(), Object.keys(expected).sort());
  });
  for (const name of Object.keys(expected)) {
    it(`selfsup ${name === 'selfsup' ? '' : `${name} `}--help`, () => {
      assert.equal(helpTexts()[name], expected[name]);
    });
  }
});
