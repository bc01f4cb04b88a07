// A Node rank and a Python rank (Debian's python3-torch, torch.distributed
// with Gloo) in one group: the rendezvous and the wire protocol are PyTorch's
// own, so both ranks get the same results. Each side may host the store.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { torch } from '../../../lib';
import { describeRuns, freePort, RankSpec, requireGloo, runRanks, worker } from './ranks';
import { PYTHON, repoRoot } from '../../helpers/python-reference';

const pyScript = path.join(repoRoot(), 'test', 'torch', 'distributed', 'interop_rank.py');

async function runPair(specs: RankSpec[]): Promise<Record<string, unknown>[]> {
  const port = await freePort();
  const runs = await runRanks(specs, { INIT_METHOD: 'env://', MASTER_PORT: String(port) }, 90000);
  assert.ok(runs.every((r) => r.code === 0 && r.report), describeRuns(runs));
  return runs.map((r) => r.report as Record<string, unknown>);
}

describe('torch.distributed interop: a Node rank and a Python rank in one Gloo group', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  const node: RankSpec = { command: process.execPath, args: [worker('interop')] };
  const py: RankSpec = { command: PYTHON, args: [pyScript] };
  // sum over ranks of arange(1000) * (r + 1) + 0.25 r = 3 * i + 0.25
  const expected = { world: 2, sumFirst: [0.25, 3.25, 6.25, 9.25], sumTotal: 3 * 499500 + 250, max: [1.5, 1],
    broadcast: [7.5, 7.5, 7.5], allGather: [[0, 10], [1, 11]] };

  for (const [name, specs] of [['Node rank 0 (store host) + Python rank 1', [node, py]],
    ['Python rank 0 (store host) + Node rank 1', [py, node]]] as [string, RankSpec[]][]) {
    it(`${name}: all-reduce, broadcast and all-gather agree`, async () => {
      const reports = await runPair(specs);
      for (const [i, r] of reports.entries()) {
        const { rank, ...rest } = r;
        assert.equal(rank, i);
        assert.deepEqual(rest, expected);
      }
    });
  }
});
