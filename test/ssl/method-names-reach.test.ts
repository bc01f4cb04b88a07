// What every image method passes on to the shared checks reaches them: its
// own name in the refusals (a bad encoder, a recipe key, the views), whether
// it takes an Encoder instance (one copy) or needs a factory (two networks),
// whether it says its step is capturable, and the image spec its augmentation
// is built for (the views have that size).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { Method } from '../../lib/ssl/method';
import { SimCLR } from '../../lib/ssl/simclr';
import { BYOL } from '../../lib/ssl/byol';
import { SimSiam } from '../../lib/ssl/simsiam';
import { BarlowTwins } from '../../lib/ssl/barlow-twins';
import { VICReg } from '../../lib/ssl/vicreg';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { MoCoV3 } from '../../lib/ssl/moco-v3';
import { SwAV } from '../../lib/ssl/swav';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';
import { refuses } from '../helpers/refuses';

const RECIPE_KEYS = 'optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad';
const small = { encoderOptions: { width: 2 }, hiddenDim: 8, outDim: 4 };

type Make = (o: Record<string, unknown>) => Method;
const METHODS: [string, Make, { factory: boolean; capturable: boolean; crops: boolean }][] = [
  ['SimCLR', (o) => new SimCLR({ encoder: 'small_cnn', ...small, ...o } as never), { factory: false, capturable: true, crops: false }],
  ['BYOL', (o) => new BYOL({ encoder: 'small_cnn', ...small, ...o } as never), { factory: true, capturable: true, crops: false }],
  ['SimSiam', (o) => new SimSiam({ encoder: 'small_cnn', ...small, predHiddenDim: 4, ...o } as never), { factory: false, capturable: true, crops: false }],
  ['BarlowTwins', (o) => new BarlowTwins({ encoder: 'small_cnn', ...small, ...o } as never), { factory: false, capturable: true, crops: false }],
  ['VICReg', (o) => new VICReg({ encoder: 'small_cnn', ...small, ...o } as never), { factory: false, capturable: true, crops: false }],
  ['MoCoV2', (o) => new MoCoV2({ encoder: 'small_cnn', encoderOptions: { width: 2 }, outDim: 4, queueLength: 8, ...o } as never),
    { factory: true, capturable: true, crops: false }],
  ['MoCoV3', (o) => new MoCoV3({ encoder: 'small_cnn', ...small, ...o } as never), { factory: true, capturable: true, crops: false }],
  ['SwAV', (o) => new SwAV({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 8, outDim: 4, numPrototypes: 3, ...o } as never),
    { factory: false, capturable: false, crops: true }],
  ['DeepClusterV2', (o) => new DeepClusterV2({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 8, outDim: 4,
    numPrototypes: [3], datasetSize: 16, ...o } as never), { factory: false, capturable: false, crops: true }],
];

describe('ssl: each image method\'s name, encoder kind, capturable flag and image spec reach the shared parts', function () {
  this.timeout(60000);

  for (const [name, make, k] of METHODS) {
    it(`${name}`, () => {
      const m = make({});
      assert.equal(m.capturable, k.capturable, 'capturable');
      refuses(() => make({ encoder: 5, encoderOptions: undefined }), `Expected a registry name, a factory () => Encoder${k.factory ? '' : ' or an Encoder'} for ${name} ` +
        'option encoder but received 5');
      refuses(() => make({ recipe: { lrr: 1 } }), `Unknown option(s) 'lrr' for ${name} option recipe; expected some of ${RECIPE_KEYS}`);
      const inst = createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder;
      if (k.factory) {
        assert.throws(() => make({ encoder: inst, encoderOptions: undefined }), (e: Error) =>
          e.message.startsWith(`${name} needs two copies of the encoder (online and target/teacher) but received an Encoder instance`));
      } else {
        assert.equal(make({ encoder: inst, encoderOptions: undefined }).encoder, inst);
      }
      const x = torch.zeros([2, 3, 8, 8]);
      if (k.crops) {
        refuses(() => m.trainingStep([x], { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 }),
          `${name} expects at least 2 (B, C, H, W) crops (as its augmentation() gives) but received 1 item(s)`);
      } else {
        refuses(() => m.trainingStep([x], { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 }),
          `${name} expects two views [x1, x2] (as its augmentation() gives) but received 1 item(s)`);
      }
      // The augmentation is built for the spec: its views have the spec's size and channels.
      const spec = { size: 12, channels: 3, mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] };
      const views = m.augmentation(spec).forward(torch.rand([2, 3, 16, 16], { generator: new torch.Generator().manualSeed(1) }),
        new torch.Generator().manualSeed(2)) as Tensor[];
      assert.deepEqual(views[0].shape, [2, 3, 12, 12]);
      assert.deepEqual(views[1].shape.slice(0, 2), [2, 3]);
    });
  }
});
