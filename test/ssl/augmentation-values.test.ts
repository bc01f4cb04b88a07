// Each of MoCo v2, MoCo v3, Barlow Twins, VICReg, SwAV and DeepCluster v2
// builds the recipe its paper names, with the paper's crop scales, from the
// image spec and its own options: the method's views equal those of the
// recipe built by hand (the same seeded generator), and differ from a recipe
// with another scale or strength (so the values are not just any views).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { MultiView } from '../../lib/data/transforms/multi-crop';
import { byol, dino, simclr } from '../../lib/data/transforms/recipes';
import { Method } from '../../lib/ssl/method';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { MoCoV3 } from '../../lib/ssl/moco-v3';
import { BarlowTwins } from '../../lib/ssl/barlow-twins';
import { VICReg } from '../../lib/ssl/vicreg';
import { SwAV } from '../../lib/ssl/swav';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';

const spec = { size: 12, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3] };
const images = (): Tensor => torch.rand([3, 3, 16, 16], { generator: new torch.Generator().manualSeed(1) });

function viewsOf(aug: MultiView): number[][] {
  const views = aug.forward(images(), new torch.Generator().manualSeed(2)) as Tensor[];
  return views.map((v) => [...v.shape, ...Array.from(v.contiguous().toTypedArray() as Float32Array)]);
}

function same(method: Method, expected: MultiView, other: MultiView): void {
  const got = viewsOf(method.augmentation(spec));
  assert.deepEqual(got, viewsOf(expected));
  assert.notDeepEqual(got, viewsOf(other));
}

const enc = { encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 8, outDim: 4 };
const specOf = { size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std };

describe('ssl: each method\'s augmentation is its paper\'s recipe for the spec', function () {
  this.timeout(60000);

  it('MoCo v2: SimCLR\'s recipe with crops [0.2, 1] and colour strength 0.5 ("aug+")', () => {
    same(new MoCoV2({ ...enc, queueLength: 8 }), simclr({ ...specOf, scale: [0.2, 1], strength: 0.5 }),
      simclr({ ...specOf, scale: [0.08, 1], strength: 0.5 }));
    assert.notDeepEqual(viewsOf(simclr({ ...specOf, scale: [0.2, 1], strength: 0.5 })),
      viewsOf(simclr({ ...specOf, scale: [0.2, 1], strength: 1 })));
  });

  it('MoCo v3, Barlow Twins, VICReg: BYOL\'s pair for the spec', () => {
    const other = byol({ ...specOf, mean: [0, 0, 0], std: [1, 1, 1] });
    same(new MoCoV3(enc), byol(specOf), other);
    same(new BarlowTwins(enc), byol(specOf), other);
    same(new VICReg(enc), byol(specOf), other);
  });

  it('SwAV and DeepCluster v2: multi-crop with global scale [0.14, 1], local [0.05, 0.14], localSize and localCrops', () => {
    const crops = { globalSize: spec.size, localSize: 6, localCrops: 3, channels: spec.channels, mean: spec.mean, std: spec.std };
    const expected = dino({ ...crops, globalScale: [0.14, 1], localScale: [0.05, 0.14] });
    const swav = new SwAV({ ...enc, numPrototypes: 3, localCrops: 3, localSize: 6 });
    same(swav, expected, dino({ ...crops, globalScale: [0.4, 1], localScale: [0.05, 0.14] }));
    same(swav, expected, dino({ ...crops, globalScale: [0.14, 1], localScale: [0.05, 0.4] }));
    const dc = new DeepClusterV2({ ...enc, numPrototypes: [3], datasetSize: 8, localCrops: 3, localSize: 6 });
    same(dc, expected, dino({ ...crops, globalScale: [0.4, 1], localScale: [0.05, 0.14] }));
    same(dc, expected, dino({ ...crops, globalScale: [0.14, 1], localScale: [0.05, 0.4] }));
    assert.equal(swav.augmentation(spec).forward(images(), new torch.Generator().manualSeed(2)).length, 5);
    const defaults = new SwAV({ ...enc, numPrototypes: 3 }).augmentation(spec).forward(images(), new torch.Generator().manualSeed(2)) as Tensor[];
    assert.deepEqual(defaults.map((v) => v.shape[2]), [12, 12, 5, 5, 5, 5, 5, 5], 'default: 6 local crops of 96/224 of the side');
  });
});
