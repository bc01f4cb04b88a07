// The final evaluation (evaluateEncoder) sharded across 2 Gloo ranks: each
// rank encodes its share of the training subset and of the test set, for
// the trained and the random encoder, with rank 0's encoders; the gathered
// features give one process's report, number for number; a rank whose
// share is empty still takes part.
// The worker is test/train/workers/final-eval-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('evaluateEncoder sharded across 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('equals one process\'s report by value, each rank encoding only its share with rank 0\'s encoders', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'final-eval-ranks.js'));
    type Report = { rows: { name: string; knn: Record<string, number>; linear: number }[]; worldSize?: number };
    const ref = reports[0].ref as Report;
    assert.deepEqual(ref.rows.map((r) => r.name), ['raw pixels', 'random encoder', 'trained encoder']);
    assert.equal(ref.worldSize, undefined);
    for (const r of reports) {
      const at = `rank ${String(r.rank)}`;
      assert.deepEqual(r.ref, ref, `${at}: the one-process reports agree`);
      // Every number: k-NN top-1 and top-5 at k 3 and 7, linear probe test and train accuracy, feature widths.
      assert.deepEqual(r.sharded, { ...ref, worldSize: 2 }, `${at}: the sharded report`);
      // Training subset 33 = 17 + 16, test set 23 = 12 + 11, for each encoder.
      const share = r.rank === 0 ? 17 + 12 : 16 + 11;
      assert.deepEqual(r.rows, { trained: share, random: [share] }, `${at}: images encoded`);
      // One image: rank 0 encodes it, rank 1's share is empty; both get its (1, 8) features and its label.
      assert.deepEqual(r.oneImage, { shape: [1, 8], sameLabel: true, diff: 0, rows: r.rank === 0 ? 1 : 0 }, `${at}: one image`);
    }
    // Rank 1's own encoders alone give other numbers: the sharded report used rank 0's.
    const alone = reports[1].alone as Report;
    assert.notDeepEqual(alone.rows[1], ref.rows[1], 'rank 1\'s random encoder differs');
    assert.notDeepEqual(alone.rows[2], ref.rows[2], 'rank 1\'s batch-norm statistics differ');
    assert.deepEqual(reports[0].alone, ref);
  });
});
