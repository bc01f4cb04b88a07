// What `selfsup train --nproc-per-node N` hands the launcher, by value
// (issue 21: the mutation run of lib/cli found the relaunch's command line
// reached by no fast test): the real train action runs with lib/train's
// `launch` replaced by a recorder, so no rank starts. Each rank reruns the
// command line without the launcher flags and without --dashboard, with the
// run folder fixed here; and the refusals of the text methods and of a bad
// dashboard port.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { quietProgram } from '../helpers/quiet-program';
import { withoutLaunchFlags } from '../../lib/cli/distributed-train';
import * as launchModule from '../../lib/train/launch';

type LaunchArgs = Parameters<typeof launchModule.launch>[0];

describe('cli: train --nproc-per-node relaunches the command line', () => {
  const real = launchModule.launch;
  const rank = process.env.RANK;
  let calls: LaunchArgs[];
  beforeEach(() => {
    calls = [];
    (launchModule as { launch: typeof real }).launch = async (o: LaunchArgs) => { calls.push(o); };
  });
  afterEach(() => {
    (launchModule as { launch: typeof real }).launch = real;
    if (rank === undefined) delete process.env.RANK; else process.env.RANK = rank;
  });

  const train = (args: string[]): Promise<unknown> => quietProgram().parseAsync(['node', 'selfsup', 'train', ...args]);
  const bin = path.resolve(__dirname, '../../../bin/selfsup.js');

  it('launcher flags and --dashboard left out of each rank\'s arguments, the run folder added once', async () => {
    // A launched rank (RANK set, not 0) does not serve the dashboard: only its flag is dropped.
    process.env.RANK = '1';
    const table: [string[], LaunchArgs][] = [
      [['simclr', '--data', 'synthetic', '--steps', '2', '--nproc-per-node', '2', '--out', '/tmp/r1'],
        { nprocPerNode: 2, nnodes: undefined, nodeRank: undefined, masterAddr: undefined, masterPort: undefined, script: bin,
          args: ['train', 'simclr', '--data', 'synthetic', '--steps', '2', '--out', '/tmp/r1'] }],
      [['byol', '--nproc-per-node=3', '--dashboard', '7000', '--steps', '1', '--master-port', '29511', '--out', '/tmp/r2'],
        { nprocPerNode: 3, nnodes: undefined, nodeRank: undefined, masterAddr: undefined, masterPort: 29511, script: bin,
          args: ['train', 'byol', '--steps', '1', '--out', '/tmp/r2'] }],
      [['simclr', '--dashboard', '--steps', '1', '--nproc-per-node', '2', '--nnodes', '2', '--node-rank', '1',
        '--master-addr', '10.0.0.1', '--dashboard=7001', '--out', '/tmp/r3'],
        { nprocPerNode: 2, nnodes: 2, nodeRank: 1, masterAddr: '10.0.0.1', masterPort: undefined, script: bin,
          args: ['train', 'simclr', '--steps', '1', '--out', '/tmp/r3'] }],
    ];
    for (const [args, expected] of table) {
      calls = [];
      await train(args);
      assert.deepEqual(calls, [expected], args.join(' '));
    }
    // Without --out, the folder resolved here is passed on, so that every rank writes the same one.
    calls = [];
    await train(['simclr', '--steps', '1', '--nproc-per-node', '2']);
    assert.equal(calls.length, 1);
    const args = calls[0].args as string[];
    assert.deepEqual(args.slice(0, 5), ['train', 'simclr', '--steps', '1', '--out']);
    assert.match(args[5], /^runs[/\\]simclr-\d{8}-\d{6}$/);
    assert.equal(args.length, 6);
  });

  it('refuses a second machine without its address, a bad dashboard port, and the text methods\' launch and dashboard', async () => {
    delete process.env.RANK;
    const table: [string[], string][] = [
      [['simclr', '--steps', '1', '--nproc-per-node', '2', '--nnodes', '2', '--out', '/tmp/r4'],
        '--nnodes > 1 needs --master-addr (the address of node 0, reachable from every machine)'],
      [['simclr', '--steps', '1', '--dashboard', '70000', '--out', '/tmp/r5'],
        'Expected a port in 0..65535 for --dashboard but received 70000'],
      [['simclr', '--steps', '1', '--dashboard=-1', '--out', '/tmp/r5'],
        'Expected a port in 0..65535 for --dashboard but received -1'],
      [['simclr', '--steps', '1', '--dashboard=1.5', '--out', '/tmp/r5'],
        'Expected a port in 0..65535 for --dashboard but received 1.5'],
      [['bert', '--nproc-per-node', '2'], '--nproc-per-node: the text methods (bert) train on one process only'],
      [['clip', '--dashboard'], '--dashboard shows image runs; drop it for clip'],
      [['simclr', '--progress', 'fancy'], 'Expected auto, bar, lines or none for --progress but received fancy'],
    ];
    for (const [args, message] of table) {
      await assert.rejects(train(args), (err: Error) => {
        assert.equal(err.message, message, args.join(' '));
        return true;
      });
    }
    assert.deepEqual(calls, []);
  });

  it('withoutLaunchFlags: each flag with its value or joined by =, extra appended', () => {
    const table: [string[], string[], string[]][] = [
      [['train', '--nproc-per-node', '2', '--steps', '5'], [], ['train', '--steps', '5']],
      [['train', '--nnodes', '2', '--node-rank', '1', '--master-addr', 'h', '--master-port', '1', 'x'], ['--out', 'o'],
        ['train', 'x', '--out', 'o']],
      [['--nnodes=2', '--node-rank=1', '--master-addr=h', '--master-port=1', '--nproc-per-node=4', '--nnodes-x=1'], [],
        ['--nnodes-x=1']],
      [[], ['a'], ['a']],
    ];
    for (const [args, extra, expected] of table) assert.deepEqual(withoutLaunchFlags(args, extra), expected, args.join(' '));
  });
});
