// Loaded by .mocharc (`require`) before any test file: the whole mocha run,
// and every process it starts, gets a private temporary folder (TMPDIR), and
// the run fails (a root "after all" hook) if a test leaves anything in it.
// Tests must remove the folders they make; this check names the ones that did
// not. The folder itself is removed at exit either way, so even a failed run
// leaves nothing behind.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-test-run-'));
// NOTE: os.tmpdir() reads TMPDIR on every call, and child processes inherit it.
process.env.TMPDIR = root;
// NOTE: onnxruntime-node (1.31, Linux) starts Microsoft's 1DS telemetry when a session is created, which writes a
// `.ses` session file into TMPDIR (left behind: the check below failed on a fresh machine) and would try to send
// events; ORT_DISABLE_TELEMETRY=1 turns it off, here and in every process the tests start (docs/export.md).
process.env.ORT_DISABLE_TELEMETRY = '1';
process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));

// The `npm pack` folder the install tests share is removed at exit, after the last of them. So are the caches
// newer tools keep in TMPDIR, which are not a test's leftovers: npm 12 under node 24 turns on node's compile
// cache (node-compile-cache), and PyTorch 2.14 makes its inductor cache (torchinductor_<user>) when imported
// (Debian sid, docs/compatibility.md).
const REMOVED_AT_EXIT = /^selfsup-pack-|^node-compile-cache$|^torchinductor_/;

export const mochaHooks = {
  afterAll(): void {
    const left = fs.readdirSync(root).filter((name) => !REMOVED_AT_EXIT.test(name));
    if (left.length > 0) {
      throw new Error(`tests left temporary folders behind in ${root} (remove them in an after hook): ${left.join(', ')}`);
    }
  },
};
