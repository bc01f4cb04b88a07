// BYOL's EMA momentum by value, without Python: the paper's cosine written
// out for several run lengths in turn (a new length rebuilds the schedule, the
// same length reuses it), and the run length's refusal by its message.
import * as assert from 'node:assert/strict';
import { BYOL } from '../../lib/ssl/byol';
import { refuses } from '../helpers/refuses';

describe('ssl: BYOL by value (momentum schedule)', function () {
  this.timeout(60000);

  it('tau_k = 1 - (1 - tau_base) (cos(pi k / (K - 1)) + 1) / 2 for each run length in turn; totalSteps refused by name', () => {
    const method = new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8, outDim: 4,
      momentumBase: 0.9 });
    try {
      // Grill et al. 2020, section 3.2, with K - 1 intervals so that the last step uses 1 (lightly's cosine_schedule).
      const expected = (k: number, steps: number): number =>
        steps === 1 ? 0.9 : 1 - ((1 - 0.9) * (Math.cos((Math.PI * k) / (steps - 1)) + 1)) / 2;
      for (const [k, steps] of [[3, 10], [3, 100], [3, 10], [9, 10], [0, 1], [50, 101], [50, 101]]) {
        const m = method.momentumAt(k, steps);
        assert.ok(Math.abs(m - expected(k, steps)) < 1e-12, `step ${k} of ${steps}: ${m} != ${expected(k, steps)}`);
      }
      refuses(() => method.momentumAt(0, 0), 'Expected positive integer for totalSteps but received 0');
      refuses(() => method.momentumAt(0, 2.5), 'Expected positive integer for totalSteps but received 2.5');
    } finally {
      method.dispose();
    }
  });
});
