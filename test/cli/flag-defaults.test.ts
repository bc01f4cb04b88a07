// A command's flag default is the option table's default of the function the
// command calls (issue 15, options as data): the command line and the API
// state each default once, so they cannot drift apart.
import * as assert from 'node:assert/strict';
import { Command, Option } from 'commander';
import { program } from '../../lib/cli/main';
import { NEIGHBORS_OPTIONS } from '../../lib/cli/neighbors';
import { EMBED_OPTIONS } from '../../lib/cli/embed';
import { PREVIEW_OPTIONS } from '../../lib/cli/preview';
import { ENCODER_DEVICE_OPTIONS } from '../../lib/cli/option-parsers';
import { DASHBOARD_OPTIONS } from '../../lib/dashboard/server';
import { EXTRACT_FEATURES_OPTIONS } from '../../lib/eval/features';
import { KNN_OPTIONS } from '../../lib/eval/knn';

function option(command: string, flag: string): Option {
  const cmd = program().commands.find((c: Command) => c.name() === command);
  assert.ok(cmd !== undefined, `command ${command}`);
  const found = cmd.options.find((o) => o.long === flag);
  assert.ok(found !== undefined, `${command} ${flag}`);
  return found;
}

describe('flag defaults come from the option tables', () => {
  it('each flag shows its table\'s default', () => {
    const rows: [string, string, unknown][] = [
      ['neighbors', '--k', NEIGHBORS_OPTIONS.defaults.k],
      ['neighbors', '--split', NEIGHBORS_OPTIONS.defaults.split],
      ['embed', '--split', EMBED_OPTIONS.defaults.split],
      ['embed', '--device', ENCODER_DEVICE_OPTIONS.defaults.device],
      ['embed', '--batch-size', EXTRACT_FEATURES_OPTIONS.defaults.batchSize],
      ['eval', '--device', ENCODER_DEVICE_OPTIONS.defaults.device],
      ['preview', '--n', PREVIEW_OPTIONS.defaults.n],
      ['preview', '--views', PREVIEW_OPTIONS.defaults.views],
      ['preview', '--seed', PREVIEW_OPTIONS.defaults.seed],
      ['dashboard', '--host', DASHBOARD_OPTIONS.defaults.host],
    ];
    for (const [command, flag, expected] of rows) {
      assert.notEqual(expected, undefined, `${command} ${flag} has a table default`);
      assert.equal(option(command, flag).defaultValue, expected, `${command} ${flag}`);
    }
    // The embed default is extractFeatures's own, not a copy.
    assert.equal(EMBED_OPTIONS.specs.batchSize, EXTRACT_FEATURES_OPTIONS.specs.batchSize);
  });

  it('eval\'s description quotes the k-NN defaults', () => {
    const evalCmd = program().commands.find((c: Command) => c.name() === 'eval')!;
    const k = [KNN_OPTIONS.defaults.k].flat().join(' and ');
    assert.match(evalCmd.description(), new RegExp(`k ${k}, T ${KNN_OPTIONS.defaults.temperature}\\)`));
  });
});
