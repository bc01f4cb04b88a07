// The self-supervised losses against references written as the papers' code
// (test/helpers/ssl_losses_ref.py: lightly's NTXentLoss, SimCLR's formula,
// BYOL's loss_fn, main_dino.py's DINOLoss, models_mae.py's forward_loss) run
// by Debian's python3-torch on the same inputs: values and gradients.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { parity, input, constant, mulberry32 } from '../helpers/parity';
import { flat } from '../helpers/assert-close';
import { ntXent, byolLoss, DINOLoss, patchify, unpatchify, maeLoss } from '../../lib/ssl/losses';

const ref = (call: string): string => `__import__('ssl_losses_ref').${call}`;

/** A deterministic 0/1 mask of `n` entries with about `ratio` ones, at least one 1 per row. */
function maskValues(rows: number, cols: number, ratio: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, () => (rng() < ratio ? 1 : 0));
    row[r % cols] = 1;
    out.push(...row);
  }
  return out;
}

const ntXentCases = [[1, 8], [2, 4], [8, 16], [32, 64]].flatMap(([n, d]) => [0.5, 0.1].map((t) => ({
  name: `N=${n} D=${d} temperature ${t}`,
  inputs: [input('z1', [n, d]), input('z2', [n, d])],
  js: (z1: Tensor, z2: Tensor) => ntXent(z1, z2, { temperature: t }),
  py: ref(`nt_xent_lightly(z1, z2, ${t})`),
})));

parity('ntXent (lightly NTXentLoss)', [
  ...ntXentCases,
  {
    name: 'default temperature 0.5, inputs far from unit norm',
    inputs: [input('z1', [6, 10], { low: -20, high: 20 }), input('z2', [6, 10], { low: 0, high: 3 })],
    js: (z1, z2) => ntXent(z1, z2),
    py: ref('nt_xent_lightly(z1, z2)'),
  },
  {
    name: "equals SimCLR's Algorithm 1 written literally (float64 loops)",
    inputs: [input('z1', [4, 8]), input('z2', [4, 8])],
    js: (z1, z2) => ntXent(z1, z2, { temperature: 0.5 }),
    py: ref('nt_xent_simclr(z1, z2, 0.5)'),
  },
]);

parity('byolLoss (BYOL loss_fn, target detached)', [
  {
    name: 'B=4 D=16: grads reach p only',
    inputs: [input('p', [4, 16]), input('z', [4, 16])],
    js: (p, z) => byolLoss(p, z),
    py: ref('byol_loss(p, z)'),
  },
  {
    name: 'B=1 D=8',
    inputs: [input('p', [1, 8]), input('z', [1, 8], { low: 2, high: 5 })],
    js: (p, z) => byolLoss(p, z),
    py: ref('byol_loss(p, z)'),
  },
  {
    name: 'symmetric sum of both directions',
    inputs: [input('p1', [5, 12]), input('p2', [5, 12]), input('z1', [5, 12]), input('z2', [5, 12])],
    js: (p1, p2, z1, z2) => byolLoss(p1, z2).add(byolLoss(p2, z1)),
    py: ref('byol_loss(p1, z2)') + ' + ' + ref('byol_loss(p2, z1)'),
  },
]);

const B = 3;
const D = 16;
const warmup = { warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTempEpochs: 4, epochs: 10 };
const warmupPy = 'warmup_teacher_temp=0.04, teacher_temp=0.07, warmup_teacher_temp_epochs=4, nepochs=10';

/** Runs DINOLoss on successive (student, teacher, epoch) steps from `center0`; losses, then the centre after each step. */
function dinoSteps(loss: DINOLoss, center0: Tensor, steps: [Tensor, Tensor, number][]): Tensor[] {
  torch.noGrad(() => loss.center.copy_(center0));
  const losses: Tensor[] = [];
  const centers: Tensor[] = [];
  for (const [s, t, epoch] of steps) {
    losses.push(loss.forward(s, t, epoch));
    centers.push(loss.center.clone());
  }
  return [...losses, ...centers];
}

parity('DINOLoss (main_dino.py)', [
  {
    name: '2 global + 4 local crops, nonzero centre, 2 steps in the warm-up (epochs 0 and 2): losses and centres',
    inputs: [input('s1', [6 * B, D], { low: -2, high: 2 }), input('t1', [2 * B, D]),
      input('s2', [6 * B, D], { low: -2, high: 2 }), input('t2', [2 * B, D]), constant('c0', [1, D], { low: -0.5, high: 0.5 })],
    js: (s1, t1, s2, t2, c0) => dinoSteps(new DINOLoss({ outDim: D, ...warmup }), c0, [[s1, t1, 0], [s2, t2, 2]]),
    py: ref(`dino_steps([s1, s2], [t1, t2], [0, 2], c0, out_dim=${D}, ncrops=6, ${warmupPy})`),
  },
  {
    name: '2 global + 4 local crops after the warm-up (epochs 5 and 9), centre momentum 0.8, student temp 0.2',
    inputs: [input('s1', [6 * B, D], { low: -2, high: 2 }), input('t1', [2 * B, D]),
      input('s2', [6 * B, D], { low: -2, high: 2 }), input('t2', [2 * B, D]), constant('c0', [1, D], { low: -0.5, high: 0.5 })],
    js: (s1, t1, s2, t2, c0) => dinoSteps(new DINOLoss({ outDim: D, ...warmup, centerMomentum: 0.8, studentTemp: 0.2, nCrops: 6 }),
      c0, [[s1, t1, 5], [s2, t2, 9]]),
    py: ref(`dino_steps([s1, s2], [t1, t2], [5, 9], c0, out_dim=${D}, ncrops=6, ${warmupPy}, center_momentum=0.8, student_temp=0.2)`),
  },
  {
    name: '2 global crops only, default temperatures, zero centre',
    inputs: [input('s', [2 * 4, 32], { low: -3, high: 3 }), input('t', [2 * 4, 32], { low: -0.2, high: 0.2 }),
      constant('c0', [1, 32], { values: new Array<number>(32).fill(0) })],
    js: (s, t, c0) => dinoSteps(new DINOLoss({ outDim: 32, epochs: 1 }), c0, [[s, t, 0]]),
    py: ref('dino_steps([s], [t], [0], c0, out_dim=32, ncrops=2, warmup_teacher_temp=0.04, teacher_temp=0.04, ' +
      'warmup_teacher_temp_epochs=0, nepochs=1)'),
  },
  {
    name: 'teacher temperature schedule at every epoch (warm-up 0.04 -> 0.07 over 4 of 10)',
    inputs: [],
    js: () => {
      const loss = new DINOLoss({ outDim: 4, ...warmup });
      return torch.tensor(Float64Array.from({ length: 10 }, (_, e) => loss.teacherTempAt(e)));
    },
    py: ref(`teacher_temp_schedule(${warmupPy})`),
    rtol: 0,
    atol: 1e-15,
  },
]);

const maeMask = (b: number, l: number, seed: number) => constant('mask', [b, l], { values: maskValues(b, l, 0.75, seed) });

parity('patchify, unpatchify and maeLoss (models_mae.py)', [
  {
    name: 'patchify RGB 8x12, p=4 (non-square)',
    inputs: [input('x', [2, 3, 8, 12])],
    js: (x) => patchify(x, 4),
    py: ref('patchify(x, 4)'),
  },
  {
    name: 'unpatchify(patchify(x)) RGB 8x8, p=2, and the patches',
    inputs: [input('x', [2, 3, 8, 8])],
    js: (x) => [patchify(x, 2), unpatchify(patchify(x, 2), 2, 3)],
    py: `(${ref('patchify(x, 2)')}, ${ref('unpatchify(' + ref('patchify(x, 2)') + ', 2, 3)')})`,
  },
  {
    name: 'unpatchify of (B, L, p*p*C) gray, p=7, L=16',
    inputs: [input('x', [2, 16, 49])],
    js: (x) => unpatchify(x, 7, 1),
    py: ref('unpatchify(x, 7, 1)'),
  },
  {
    name: 'maeLoss normPixLoss RGB 16x16, p=4: grads to pred and imgs',
    inputs: [input('imgs', [2, 3, 16, 16]), input('pred', [2, 16, 48]), maeMask(2, 16, 7)],
    js: (imgs, pred, mask) => maeLoss(imgs, pred, mask, { patchSize: 4 }),
    py: ref('mae_loss(imgs, pred, mask, 4)'),
  },
  {
    name: 'maeLoss without normPixLoss RGB 16x16, p=4',
    inputs: [input('imgs', [2, 3, 16, 16]), input('pred', [2, 16, 48]), maeMask(2, 16, 8)],
    js: (imgs, pred, mask) => maeLoss(imgs, pred, mask, { patchSize: 4, normPixLoss: false }),
    py: ref('mae_loss(imgs, pred, mask, 4, norm_pix_loss=False)'),
  },
  {
    name: 'maeLoss normPixLoss Fashion-MNIST-like 28x28 gray, p=7, images in [0, 1)',
    inputs: [constant('imgs', [3, 1, 28, 28], { low: 0, high: 1 }), input('pred', [3, 16, 49]), maeMask(3, 16, 9)],
    js: (imgs, pred, mask) => maeLoss(imgs, pred, mask, { patchSize: 7 }),
    py: ref('mae_loss(imgs, pred, mask, 7)'),
  },
  {
    name: 'maeLoss normPixLoss with a constant patch (variance 0: the 1e-6 epsilon matters)',
    inputs: [constant('imgs', [1, 1, 4, 4], { values: [0.5, 0.5, 1, 2, 0.5, 0.5, 3, -1, 0, 1, 2, 3, 4, 5, 6, 7] }),
      input('pred', [1, 4, 4]), constant('mask', [1, 4], { values: [1, 1, 0, 1] })],
    js: (imgs, pred, mask) => maeLoss(imgs, pred, mask, { patchSize: 2 }),
    py: ref('mae_loss(imgs, pred, mask, 2)'),
  },
]);

describe('ssl losses: behaviour', () => {
  it('ntXent under bf16 autocast is float32, finite and within 2% of float32', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const z1 = torch.randn([16, 32]);
      const z2 = z1.add(torch.randn([16, 32]).mul(0.5));
      for (const temperature of [0.5, 0.1]) {
        const exact = ntXent(z1, z2, { temperature }).item() as number;
        const auto = torch.autocast('cpu', 'bfloat16', () => ntXent(z1, z2, { temperature }));
        assert.equal(auto.dtype, 'float32');
        // The similarity matrix is computed with autocast off: float32 inputs give the float32 loss.
        assert.ok(Math.abs((auto.item() as number) - exact) < 1e-5, `autocast ${auto.item()} vs float32 ${exact}`);
        // Inputs that are already bf16 (a projector run under autocast) are upcast first.
        const fromBf16 = torch.autocast('cpu', 'bfloat16', () => ntXent(z1.to('bfloat16'), z2.to('bfloat16'), { temperature }));
        for (const got of [auto.item() as number, fromBf16.item() as number]) {
          assert.ok(Number.isFinite(got), `loss ${got}`);
          assert.ok(Math.abs(got - exact) <= 0.02 * Math.abs(exact), `bf16 ${got} vs float32 ${exact} at temperature ${temperature}`);
        }
      }
    });
  });

  it('ntXent is lower for aligned views and has zero loss and gradient with N = 1', () => {
    torch.scope(() => {
      torch.manualSeed(1);
      const z = torch.randn([8, 16]);
      const aligned = ntXent(z, z.mul(3)).item() as number;
      const random = ntXent(z, torch.randn([8, 16])).item() as number;
      assert.ok(aligned < random, `aligned ${aligned} vs random ${random}`);
      const a = torch.randn([1, 4]).requiresGrad_();
      const l = ntXent(a, torch.randn([1, 4]));
      l.backward();
      assert.equal(l.item(), 0);
      assert.deepEqual(flat(a.grad!), [0, 0, 0, 0]);
    });
  });

  it('byolLoss is 0 for parallel vectors, 2 for orthogonal, 4 for opposite', () => {
    torch.scope(() => {
      const p = torch.tensor([[1, 0], [0, 2], [3, 0]]);
      const z = torch.tensor([[2, 0], [5, 0], [-1, 0]]);
      const values = [0, 2, 4];
      values.forEach((v, i) => {
        const got = byolLoss(p.narrow(0, i, 1), z.narrow(0, i, 1)).item() as number;
        assert.ok(Math.abs(got - v) < 1e-6, `row ${i}: ${got} vs ${v}`);
      });
      assert.ok(Math.abs((byolLoss(p, z).item() as number) - 2) < 1e-6);
    });
  });

  it('DINOLoss registers a persistent (1, outDim) centre, updated in place after the loss', () => {
    torch.scope(() => {
      const loss = new DINOLoss({ outDim: 5, epochs: 3 });
      assert.deepEqual([...loss.stateDict().keys()], ['center']);
      assert.deepEqual(loss.center.shape, [1, 5]);
      assert.deepEqual(flat(loss.center), [0, 0, 0, 0, 0]);
      assert.equal(loss.numParameters(), 0);
      const center = loss.center;
      const t = torch.ones([4, 5]);
      const value = loss.forward(torch.zeros([6, 5]), t, 0);
      // Uniform student logits: the cross entropy is log(5) whatever the teacher.
      assert.ok(Math.abs((value.item() as number) - Math.log(5)) < 1e-5);
      assert.equal(loss.center, center, 'the registered buffer is updated in place');
      for (const c of flat(loss.center)) assert.ok(Math.abs(c - 0.1) < 1e-6, `centre ${c}`);
      loss.forward(torch.zeros([6, 5]), t, 1);
      for (const c of flat(loss.center)) assert.ok(Math.abs(c - 0.19) < 1e-6, `centre ${c}`);
    });
  });

  it('DINOLoss teacher temperature: warm-up start, middle, end, and past the schedule', () => {
    const loss = new DINOLoss({ outDim: 4, epochs: 10, warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTempEpochs: 4 });
    assert.equal(loss.teacherTempAt(0), 0.04);
    assert.ok(Math.abs(loss.teacherTempAt(2) - 0.06) < 1e-15);
    assert.equal(loss.teacherTempAt(3), 0.07);
    assert.equal(loss.teacherTempAt(9), 0.07);
    assert.equal(loss.teacherTempAt(25), 0.07);
    assert.equal(new DINOLoss({ outDim: 4, epochs: 2 }).teacherTempAt(0), 0.04);
  });

  it('losses free their intermediates in a scope', () => {
    const dino = new DINOLoss({ outDim: 8, epochs: 1 });
    const step = (): void => torch.scope(() => {
      const s = torch.randn([4 * 2, 8]).requiresGrad_();
      const z = torch.randn([4, 8]).requiresGrad_();
      const total = ntXent(z, z.flip(0)).add(byolLoss(z, s.narrow(0, 0, 4))).add(dino.forward(s, torch.randn([4, 8]), 0))
        .add(maeLoss(torch.randn([2, 1, 4, 4]), z.view(2, 4, 4), torch.ones([2, 4]), { patchSize: 2 }));
      total.backward();
    });
    step();
    const before = torch.memory().tensors;
    for (let i = 0; i < 3; i++) step();
    assert.equal(torch.memory().tensors, before);
  });

  it('patchify and unpatchify round-trip exactly, square and non-square', () => {
    torch.scope(() => {
      const x = torch.randn([2, 3, 8, 8]);
      assert.ok(torch.equal(unpatchify(patchify(x, 4), 4, 3), x));
      const wide = torch.randn([1, 2, 6, 9]);
      const patches = patchify(wide, 3);
      assert.deepEqual(patches.shape, [1, 6, 18]);
      assert.ok(torch.equal(unpatchify(patches, 3, 2, [2, 3]), wide));
    });
  });

  it('maeLoss accepts a bool mask and only counts removed patches', () => {
    torch.scope(() => {
      torch.manualSeed(2);
      const imgs = torch.randn([2, 3, 8, 8]);
      const pred = torch.randn([2, 4, 48]);
      const mask = torch.tensor([[1, 0, 0, 1], [0, 1, 1, 1]]);
      const a = maeLoss(imgs, pred, mask, { patchSize: 4 }).item() as number;
      const b = maeLoss(imgs, pred, mask.gt(0.5), { patchSize: 4 }).item() as number;
      assert.equal(a, b);
      // Changing the prediction of a kept patch changes nothing.
      const kept = pred.clone();
      kept.narrow(0, 0, 1).narrow(1, 1, 1).fill_(100);
      assert.equal(maeLoss(imgs, kept, mask, { patchSize: 4 }).item(), a);
    });
  });
});

describe('ssl losses: argument errors', () => {
  const z = torch.randn([4, 8]);
  it('ntXent', () => {
    assert.throws(() => ntXent(z, torch.randn([4, 7])),
      /Expected z2 of the shape of z1 \[4, 8\] \(row i of both are views of image i\) but received shape \[4, 7\]/);
    assert.throws(() => ntXent(torch.randn([8]), torch.randn([8])), /Expected z1 of shape \(N, D\) with N >= 1 but received shape \[8\]/);
    assert.throws(() => ntXent(z, z, { temperature: 0 }), /Expected a positive number for options.temperature but received 0/);
    assert.throws(() => ntXent(z, z, { temperature: -0.5 }), /Expected a positive number for options.temperature but received -0.5/);
    assert.throws(() => ntXent(z, z, { temperature: NaN }), /options.temperature but received NaN/);
    assert.throws(() => ntXent(z, [1, 2] as unknown as Tensor), /Expected a Tensor for z2 but received \[1,2\]/);
  });

  it('byolLoss', () => {
    assert.throws(() => byolLoss(z, torch.randn([3, 8])), /Expected z of the shape of p \[4, 8\] but received shape \[3, 8\]/);
    assert.throws(() => byolLoss(torch.randn([2, 3, 4]), z), /Expected p of shape \(B, D\) with B >= 1 but received shape \[2, 3, 4\]/);
  });

  it('DINOLoss', () => {
    assert.throws(() => new DINOLoss({ outDim: 0, epochs: 1 }), /Expected positive integer for outDim but received 0/);
    assert.throws(() => new DINOLoss({ outDim: 4, epochs: 10, warmupTeacherTempEpochs: 11 }),
      /Expected warmupTeacherTempEpochs <= epochs \(10\) but received 11/);
    assert.throws(() => new DINOLoss({ outDim: 4, epochs: 10, teacherTemp: 0 }), /Expected a positive number for teacherTemp but received 0/);
    assert.throws(() => new DINOLoss({ outDim: 4, epochs: 10, centerMomentum: 1.5 }),
      /Expected a number in \[0, 1\] for centerMomentum but received 1.5/);
    const loss = new DINOLoss({ outDim: 8, epochs: 2, nCrops: 4 });
    assert.throws(() => loss.forward(torch.randn([16, 8]), torch.randn([4, 7]), 0),
      /Expected teacherOutput of shape \(2 \* B, 8\) \(the 2 global crops\) but received shape \[4, 7\]/);
    assert.throws(() => loss.forward(torch.randn([7, 8]), torch.randn([4, 8]), 0),
      /Expected studentOutput of shape \(nCrops \* 2, 8\) with nCrops >= 2 \(teacherOutput has B = 2\) but received shape \[7, 8\]/);
    assert.throws(() => loss.forward(torch.randn([12, 8]), torch.randn([4, 8]), 0),
      /Expected studentOutput with nCrops = 4 crops of B = 2 rows \(8 rows\) but received shape \[12, 8\]/);
    assert.throws(() => loss.forward(torch.randn([8, 8]), torch.randn([4, 8]), -1), /Expected non-negative integer for epoch but received -1/);
    assert.throws(() => loss.forward(torch.randn([8, 8]), torch.randn([4, 8]), 0.5), /Expected non-negative integer for epoch but received 0.5/);
    assert.deepEqual(flat(loss.center), new Array(8).fill(0), 'failed calls leave the centre alone');
  });

  it('patchify, unpatchify and maeLoss', () => {
    const imgs = torch.randn([2, 3, 8, 8]);
    assert.throws(() => patchify(torch.randn([2, 3, 8, 10]), 4),
      /Expected imgs of shape \(B, C, H, W\) with H and W multiples of patchSize 4 but received shape \[2, 3, 8, 10\]/);
    assert.throws(() => patchify(imgs, 0), /Expected positive integer for patchSize but received 0/);
    assert.throws(() => unpatchify(torch.randn([2, 4, 47]), 4, 3), /Expected x of shape \(B, L, 48\) \(patchSize 4, 3 channels\) but received shape \[2, 4, 47\]/);
    assert.throws(() => unpatchify(torch.randn([2, 6, 48]), 4, 3),
      /Expected a square number of patches L for unpatchify without gridSize but received shape \[2, 6, 48\]/);
    assert.throws(() => unpatchify(torch.randn([2, 6, 48]), 4, 3, [2, 2]), /Expected gridSize \[2, 2\] to hold L = 6 patches but it holds 4/);
    assert.throws(() => maeLoss(imgs, torch.randn([2, 4, 47]), torch.ones([2, 4]), { patchSize: 4 }),
      /Expected pred of shape \[2, 4, 48\] \(the patchified imgs with patchSize 4\) but received shape \[2, 4, 47\]/);
    assert.throws(() => maeLoss(imgs, torch.randn([2, 4, 48]), torch.ones([2, 5]), { patchSize: 4 }),
      /Expected mask of shape \[2, 4\] \(B, L\) but received shape \[2, 5\]/);
    assert.throws(() => maeLoss(imgs, torch.randn([2, 4, 48]), torch.ones([2, 4]), { patchSize: 3 }), /multiples of patchSize 3/);
  });
});
