// The actions of `selfsup dashboard` and `selfsup tensorboard` by value (issue 21, lib/cli's mutation score, third
// pass), with the server and the event writer replaced by recorders (both are tested in test/dashboard and
// test/export/tensorboard): the options each command hands over, and the line it prints.
import * as assert from 'node:assert/strict';
import * as server from '../../lib/dashboard/server';
import * as runEvents from '../../lib/export/tensorboard/run-events';
import { quietProgram } from '../helpers/quiet-program';
import { captured } from '../helpers/captured-output';

/** What `fn` writes to stdout and stderr. */
describe('cli: the dashboard and tensorboard commands by value (recorders)', () => {
  const realStart = server.startDashboard;
  const realWrite = runEvents.writeRunEvents;
  afterEach(() => {
    (server as { startDashboard: unknown }).startDashboard = realStart;
    (runEvents as { writeRunEvents: unknown }).writeRunEvents = realWrite;
  });

  it('selfsup dashboard hands the folder, port and host to startDashboard and prints its address', async () => {
    const calls: unknown[] = [];
    (server as { startDashboard: unknown }).startDashboard = async (o: unknown) => {
      calls.push(o);
      return { url: 'http://127.0.0.1:7001/' };
    };
    const run = (args: string[]) => captured(() => quietProgram().parseAsync(['node', 'selfsup', 'dashboard', ...args]));
    assert.equal((await run(['runs/x', '--port', '7001', '--host', '0.0.0.0'])).stdout,
      'selfsup dashboard: http://127.0.0.1:7001/ (runs in runs/x; Ctrl-C stops)\n');
    await run([]);
    assert.deepEqual(calls, [{ root: 'runs/x', port: 7001, host: '0.0.0.0' },
      { root: server.DASHBOARD_OPTIONS.defaults.root, port: 6006, host: server.DASHBOARD_OPTIONS.defaults.host }]);
  });

  it('selfsup tensorboard hands the run and --out to writeRunEvents and says what it wrote (the projector when there is one)', async () => {
    const calls: unknown[] = [];
    let projector: string | undefined = 'runs/a/tb/projector_config.pbtxt';
    (runEvents as { writeRunEvents: unknown }).writeRunEvents = (run: string, o: unknown) => {
      calls.push([run, o]);
      return { file: 'runs/a/tb/events.out', scalars: 12, images: 3, histograms: 4, projector };
    };
    const run = async (args: string[]) => {
      const { stdout, stderr } = await captured(() => quietProgram().parseAsync(['node', 'selfsup', 'tensorboard', ...args]));
      return { stdout, stderr };
    };
    assert.deepEqual(await run(['runs/a', '--out', 'runs/a/tb']), { stdout: '',
      stderr: 'Wrote runs/a/tb/events.out: 12 scalars, 3 images, 4 histograms, projector runs/a/tb/projector_config.pbtxt\n' });
    projector = undefined;
    assert.equal((await run(['runs/a'])).stderr, 'Wrote runs/a/tb/events.out: 12 scalars, 3 images, 4 histograms\n');
    assert.deepEqual(calls, [['runs/a', { out: 'runs/a/tb' }], ['runs/a', {}]]);
  });
});
