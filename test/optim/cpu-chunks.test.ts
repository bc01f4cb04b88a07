// A CPU step in chunks (Optimizer.cpuChunkBytes) frees each chunk's
// temporaries before the next chunk starts, so the next chunk reuses that
// memory (still in cache) instead of growing the heap (issue 19).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { Optimizer, BaseOptions } from '../../lib/optim/optimizer';

type Tensor = torch.Tensor;
type Update = (...args: unknown[]) => void;

describe('optim: CPU chunks', () => {
  const makers: [string, (ps: Tensor[]) => Optimizer<BaseOptions>][] = [
    ['LARS', (ps) => new LARS(ps, { lr: 0.1, weightDecay: 1e-6 })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 1e-3, weightDecay: 0.05 })],
  ];
  for (const [name, make] of makers) {
    it(`${name}: each chunk starts with the same live tensors (the previous chunk's temporaries are freed)`, () => {
      const saved = Optimizer.cpuChunkBytes;
      Optimizer.cpuChunkBytes = 16; // every parameter a chunk of its own
      try {
        torch.scope(() => {
          const ps = Array.from({ length: 6 }, (_, i) => torch.randn(i % 2 === 0 ? [8, 4] : [4]).requiresGrad_());
          for (const p of ps) p.grad = torch.randnLike(p);
          const opt = make(ps);
          opt.step(); // the first step creates the state (kept tensors)
          // Live tensors when each chunk's update starts, seen through the (protected) per-chunk method.
          const seen: number[] = [];
          const probe = opt as unknown as { updateGroup: Update };
          const update = probe.updateGroup;
          probe.updateGroup = function (this: unknown, ...args: unknown[]) {
            seen.push(torch.memory().tensors);
            update.apply(this, args);
          };
          opt.step();
          assert.equal(seen.length, ps.length, 'one update per chunk');
          assert.deepEqual(seen, seen.map(() => seen[0]), `live tensors at each chunk: ${seen.join(', ')}`);
          opt.dispose();
        });
      } finally {
        Optimizer.cpuChunkBytes = saved;
      }
    });
  }
});
