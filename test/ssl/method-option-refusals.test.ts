// What SimCLR, MAE, DINO and BYOL refuse, and that each message names the
// method and what was wrong (issue 21: the `method-options` mutation target).
// The shared checks (two views, unknown keys, recipe keys, the encoder spec)
// are exercised through the methods that call them, so a method passing the
// wrong name, or a check whose condition is weakened, fails here.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { create as createModel } from '../../lib/models';
import { SimCLR, SIMCLR_OPTIONS } from '../../lib/ssl/simclr';
import { MAE } from '../../lib/ssl/mae';
import { DINO } from '../../lib/ssl/dino';
import { BYOL } from '../../lib/ssl/byol';
import { Encoder } from '../../lib/models/encoder';
import { TrainProgress } from '../../lib/ssl/method';

const progress: TrainProgress = { step: 0, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 };
const cnn = { encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 16, outDim: 8 } as const;
const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });
const smallCnn = (): Encoder => createModel('small_cnn', { inChannels: 1, width: 4, numClasses: 0 }) as Encoder;
const zeros = (...shape: number[]): Tensor => torch.zeros(shape);

/** Escapes `s` for a RegExp: the expected messages hold brackets and parentheses. */
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Asserts that `fn` throws `type` with a message matching all `parts`, in order. */
function refuses(fn: () => unknown, type: typeof TypeError | typeof RangeError, ...parts: string[]): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof type, `expected a ${type.name} but got ${err.name}: ${err.message}`);
    assert.match(err.message, new RegExp(`^${parts.map(literal).join('.*')}`, 's'));
    return true;
  });
}

describe('ssl: the method options\' refusals name the method and what was wrong', function () {
  this.timeout(60000);
  let simclr: SimCLR;
  let mae: MAE;
  before(() => {
    torch.manualSeed(1);
    simclr = new SimCLR({ ...cnn });
    mae = new MAE({ encoder: tinyVit(), decoderDim: 16, decoderDepth: 1, decoderHeads: 2 });
  });
  after(() => {
    simclr.dispose();
    mae.dispose();
  });

  it('two-view methods: anything but two 4-D tensors of one shape', () => {
    const x = zeros(2, 1, 8, 8);
    const prefix = 'SimCLR expects two views [x1, x2] (as its augmentation() gives) but received ';
    refuses(() => simclr.trainingStep(x as unknown as Tensor[], progress), TypeError, `${prefix}a Tensor of shape [2, 1, 8, 8]`);
    refuses(() => simclr.trainingStep([x], progress), TypeError, `${prefix}1 item(s)`);
    refuses(() => simclr.trainingStep([x, x, x], progress), TypeError, `${prefix}3 item(s)`);
    refuses(() => simclr.trainingStep([x, 5 as unknown as Tensor], progress), TypeError, `${prefix}2 item(s)`);
    const shapes = 'SimCLR expects two (B, C, H, W) views of the same shape but received ';
    refuses(() => simclr.trainingStep([zeros(1, 8, 8), zeros(1, 8, 8)], progress), RangeError, `${shapes}[1, 8, 8] and [1, 8, 8]`);
    refuses(() => simclr.trainingStep([x, zeros(2, 1, 8, 6)], progress), RangeError, `${shapes}[2, 1, 8, 8] and [2, 1, 8, 6]`);
    // Two good views pass: the loss is a finite number.
    torch.scope(() => assert.ok(Number.isFinite(Number(simclr.trainingStep([torch.randn([2, 1, 8, 8]), torch.randn([2, 1, 8, 8])],
      progress).loss.item()))));
  });

  it('unknown option keys: named, with the keys the method accepts', () => {
    const accepted = ['encoder', 'encoderOptions', ...SIMCLR_OPTIONS.keys, 'recipe'].join(', ');
    refuses(() => new SimCLR({ ...cnn, temprature: 0.2 } as never), TypeError,
      `Unknown option(s) 'temprature' for SimCLR; expected some of ${accepted}`);
    refuses(() => new SimCLR(null as never), TypeError, 'Expected an options object for SimCLR but received null');
    refuses(() => new SimCLR([] as never), TypeError, 'Expected an options object for SimCLR but received []');
    refuses(() => new SimCLR('small_cnn' as never), TypeError, 'Expected an options object for SimCLR but received \'small_cnn\'');
  });

  it('recipe overrides: unknown keys refused with the method\'s name; the known ones used', () => {
    for (const [name, build] of [
      ['SimCLR', (recipe: object) => new SimCLR({ ...cnn, recipe })],
      ['MAE', (recipe: object) => new MAE({ encoder: tinyVit(), decoderDim: 16, decoderDepth: 1, decoderHeads: 2, recipe })],
      ['DINO', (recipe: object) => new DINO({ encoder: tinyVit, outDim: 24, hiddenDim: 16, bottleneckDim: 8, localCrops: 0, recipe })],
    ] as const) {
      refuses(() => build({ lr: 1, learningRate: 2 }), TypeError,
        `Unknown option(s) 'learningRate' for ${name} option recipe; expected some of `, 'lr');
      const m = build({ lr: 0.125 });
      assert.equal(m.recipe.lr, 0.125, `${name} recipe.lr`);
      m.dispose();
    }
  });

  it('encoder specs: encoderOptions only with a name, an instance only where one copy is built', () => {
    refuses(() => new SimCLR({ encoder: smallCnn(), encoderOptions: { width: 8 }, hiddenDim: 16, outDim: 8 }), TypeError,
      'SimCLR: encoderOptions apply only when encoder is a registry name');
    refuses(() => new MAE({ encoder: tinyVit(), encoderOptions: { imgSize: 16 } }), TypeError,
      'MAE: encoderOptions apply only when encoder is a registry name');
    refuses(() => new DINO({ encoder: tinyVit, encoderOptions: { imgSize: 16 } }), TypeError,
      'DINO: encoderOptions apply only when encoder is a registry name');
    refuses(() => new DINO({ encoder: tinyVit() as never, outDim: 24, hiddenDim: 16, bottleneckDim: 8 }), TypeError,
      'DINO needs two copies of the encoder (online and target/teacher) but received an Encoder instance (VisionTransformer)');
    // SimCLR trains the one instance it is given.
    const instance = smallCnn();
    const s = new SimCLR({ encoder: instance, hiddenDim: 16, outDim: 8 });
    assert.equal(s.encoder, instance);
    s.dispose();
  });

  it('MAE: a ViT only, and one view', () => {
    const vitOnly = 'it encodes only the visible patches, which a convolutional network cannot; ' +
      'use e.g. encoder: \'vit_tiny_patch4_224\' with encoderOptions: { imgSize: 32 }';
    refuses(() => new MAE({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 } }), TypeError,
      `MAE needs a ViT encoder (vit_*) but received 'small_cnn': ${vitOnly}`);
    refuses(() => new MAE({ encoder: smallCnn() as never }), TypeError,
      `MAE needs a ViT encoder (vit_*) but received ${smallCnn().typeName}: ${vitOnly}`);
    // A registry name that starts with vit_ is built (the check is on the prefix).
    const named = new MAE({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16 }, decoderDim: 16, decoderDepth: 1,
      decoderHeads: 2 });
    assert.ok(named.encoder instanceof VisionTransformer);
    named.dispose();
    const x = zeros(2, 3, 16, 16);
    refuses(() => mae.trainingStep([x, x], progress), RangeError, 'Expected one view for MAE (recipes.mae) but received 2');
    refuses(() => mae.trainingStep([], progress), RangeError, 'Expected one view for MAE (recipes.mae) but received 0');
    refuses(() => mae.trainingStep(x as unknown as Tensor[], progress), RangeError,
      'Expected one view for MAE (recipes.mae) but received ');
  });

  it('BYOL and DINO: an encoder instance is refused (they build two copies)', () => {
    refuses(() => new BYOL({ encoder: smallCnn() as never, hiddenDim: 16, outDim: 8 }), TypeError,
      'BYOL needs two copies of the encoder');
  });
});
