// What `selfsup <command> --help` tells a user must match what the commands do.
import * as assert from 'node:assert/strict';
import { Command } from 'commander';
import * as torch from '../../lib/torch';
import { program } from '../../lib/cli/main';
import { THREADS_HELP } from '../../lib/cli/threads-option';

function help(name: string): string {
  const command = program().commands.find((c) => c.name() === name);
  assert.ok(command, `no command ${name}`);
  // Commander wraps at the terminal width: compare with single spaces.
  return (command as Command).helpInformation().replace(/\s+/g, ' ');
}

describe('cli: help texts', () => {
  it('train sends users to `selfsup info` for the encoders (which lists them: test/cli/info.test.ts)', () => {
    assert.match(help('train'), /--encoder <name>\s+encoder from the model registry \(selfsup info lists them\)/);
  });

  it('eval says that --knn and --linear each run only that evaluation', () => {
    const text = help('eval');
    assert.match(text, /--knn\s+only the weighted k-NN \(without --knn or --linear: both\)/);
    assert.match(text, /--linear\s+only the linear probe/);
  });

  it('train, eval and bench take --threads with the default it overrides', () => {
    for (const name of ['train', 'eval', 'bench']) {
      assert.match(help(name), new RegExp(`--threads <n> ${THREADS_HELP.replace(/[()]/g, '\\$&')}`), name);
    }
  });

  describe('--threads reaches libtorch before the command runs', () => {
    let before = 1;
    beforeEach(() => { before = torch.getNumThreads(); });
    afterEach(() => torch.setNumThreads(before));

    for (const [name, args] of [['train', ['--resume', '/nonexistent/run']], ['eval', ['/nonexistent/run']]] as const) {
      it(name, async () => {
        const p = program().exitOverride();
        await assert.rejects(p.parseAsync(['node', 'selfsup', name, '--threads', '3', ...args]), /nonexistent/);
        assert.equal(torch.getNumThreads(), 3);
        assert.deepEqual(torch.threadSetting(), { count: 3, source: '--threads', detail: '--threads 3' });
      });
    }

    it('and a --threads that is not a positive integer is refused', async () => {
      const p = program().exitOverride();
      p.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
      await assert.rejects(p.parseAsync(['node', 'selfsup', 'eval', '--threads', '0', 'x']),
        /Expected an integer >= 1 for --threads but received 0/);
    });
  });
});
