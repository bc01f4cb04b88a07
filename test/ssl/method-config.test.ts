// config() is what a run's config.json stores and what `ssl.create` rebuilds
// a method from, so its JSON must not change when the way options are
// declared changes: every method's config for two option sets equals, key
// order included, what the version before option tables wrote (recorded
// from it), and rebuilds a method with the same config.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { create } from '../../lib/ssl/registry';
import { MethodName } from '../../lib/ssl/method';

const cnn = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ encoder: 'small_cnn', encoderOptions: { width: 4, inChannels: 3 }, ...extra });
const vit = { encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16 } };

const CASES: Record<string, Record<string, unknown>[]> = {
  simclr: [cnn({ hiddenDim: 16, outDim: 8 }), cnn({ hiddenDim: 16, outDim: 8, temperature: 0.2, cropScale: [0.5, 1], recipe: { lr: 1 } })],
  byol: [cnn({ hiddenDim: 16, outDim: 8 }), cnn({ hiddenDim: 16, outDim: 8, momentumBase: 0.99 })],
  dino: [cnn({ outDim: 16, hiddenDim: 8, bottleneckDim: 4 }), cnn({ outDim: 16, hiddenDim: 8, bottleneckDim: 4, localSize: 8, epochs: 5,
    warmupTeacherTempEpochs: 2, warmupTeacherTemp: 0.02, teacherTemp: 0.05, studentTemp: 0.2, centerMomentum: 0.8, momentumTeacher: 0.9,
    freezeLastLayer: 0, localCrops: 2, normLastLayer: false })],
  mae: [{ ...vit, decoderDim: 16, decoderDepth: 1, decoderHeads: 2 },
    { ...vit, maskRatio: 0.5, decoderDim: 16, decoderDepth: 1, normPixLoss: false, initEncoder: false, decoderHeads: 4 }],
  simsiam: [cnn({ hiddenDim: 16, outDim: 8, predHiddenDim: 4 }), cnn({ hiddenDim: 16, outDim: 8, predHiddenDim: 4, projectorLayers: 2 })],
  barlow_twins: [cnn({ hiddenDim: 16, outDim: 8 }), cnn({ hiddenDim: 16, outDim: 8, lambda: 0.01 })],
  vicreg: [cnn({ hiddenDim: 16, outDim: 8 }), cnn({ hiddenDim: 16, outDim: 8, simCoeff: 1, stdCoeff: 2, covCoeff: 3 })],
  mocov2: [cnn({ outDim: 8, queueLength: 32 }), cnn({ hiddenDim: 16, outDim: 8, queueLength: 32, temperature: 0.1, momentum: 0.99, bnGroups: 2 })],
  mocov3: [cnn({ hiddenDim: 16, outDim: 8 }), { ...vit, hiddenDim: 16, outDim: 8 }, { ...vit, hiddenDim: 16, outDim: 8, freezePatchEmbed: true, projectorLayers: 2,
    temperature: 0.5, momentumBase: 0.9 }],
  swav: [cnn({ hiddenDim: 16, outDim: 8, numPrototypes: 10, queueLength: 0 }), cnn({ hiddenDim: 16, outDim: 8, numPrototypes: 10,
    queueLength: 32, localSize: 8, localCrops: 2, epsilon: 0.1, sinkhornIterations: 2, freezePrototypesSteps: 3, queueStartEpoch: 1, temperature: 0.2 })],
  deepclusterv2: [cnn({ hiddenDim: 16, outDim: 8, datasetSize: 40, numPrototypes: [5, 6] }), cnn({ hiddenDim: 16, outDim: 8, datasetSize: 40,
    numPrototypes: [5], localSize: 8, localCrops: 1, temperature: 0.3, kmeansIterations: 2 })],
  rotation: [cnn(), cnn({ hiddenDim: 8 })],
  jigsaw: [cnn({ numPermutations: 10 }), cnn({ numPermutations: 10, permutationSeed: 3, tileSize: 5, hiddenDim: 8, imageNormStats: true })],
  relative_position: [cnn(), cnn({ patchSize: 5, gap: 1, jitter: 0, chromatic: 'drop', hiddenDim: 8, imageNormStats: true })],
  context_encoder: [cnn({ imageSize: 16 }), cnn({ imageSize: 32, mask: 'block', overlap: 2, overlapWeight: 5, adversarial: false,
    adversarialWeight: 0.01, discriminatorWidth: 8, imageNormStats: true, recipe: { lr: 1e-3 } })],
  damaged_jigsaw: [cnn({ imageSize: 24, numPermutations: 10 }), cnn({ imageSize: 32, numPermutations: 10, permutationSeed: 2,
    tileSize: 8, hiddenDim: 8, jigsawWeight: 2, inpaintingWeight: 0.5, colorizationWeight: 0.25, imageNormStats: true })],
};

// Recorded from the build before option tables (main at c8676e6).
const EXPECTED: Record<string, string> = {
  'simclr#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"temperature":0.5,"cropScale":[0.08,1]}',
  'simclr#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"temperature":0.2,"cropScale":[0.5,1],"recipe":{"lr":1}}',
  'byol#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"momentumBase":0.996}',
  'byol#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"momentumBase":0.99}',
  'dino#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"outDim":16,"hiddenDim":8,"bottleneckDim":4,"normLastLayer":true,"warmupTeacherTemp":0.04,"teacherTemp":0.04,"warmupTeacherTempEpochs":0,"studentTemp":0.1,"centerMomentum":0.9,"momentumTeacher":0.996,"freezeLastLayer":1,"localCrops":8,"epochs":1}',
  'dino#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"outDim":16,"hiddenDim":8,"bottleneckDim":4,"normLastLayer":false,"warmupTeacherTemp":0.02,"teacherTemp":0.05,"warmupTeacherTempEpochs":2,"studentTemp":0.2,"centerMomentum":0.8,"momentumTeacher":0.9,"freezeLastLayer":0,"localCrops":2,"localSize":8,"epochs":5}',
  'mae#0': '{"encoder":"vit_tiny_patch4_224","encoderOptions":{"imgSize":16},"maskRatio":0.75,"decoderDim":16,"decoderDepth":1,"decoderHeads":2,"normPixLoss":true,"initEncoder":true}',
  'mae#1': '{"encoder":"vit_tiny_patch4_224","encoderOptions":{"imgSize":16},"maskRatio":0.5,"decoderDim":16,"decoderDepth":1,"decoderHeads":4,"normPixLoss":false,"initEncoder":false}',
  'simsiam#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"predHiddenDim":4,"projectorLayers":3}',
  'simsiam#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"predHiddenDim":4,"projectorLayers":2}',
  'barlow_twins#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"lambda":0.005}',
  'barlow_twins#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"lambda":0.01}',
  'vicreg#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"simCoeff":25,"stdCoeff":25,"covCoeff":1}',
  'vicreg#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"simCoeff":1,"stdCoeff":2,"covCoeff":3}',
  'mocov2#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"queueLength":32,"temperature":0.2,"momentum":0.999,"bnGroups":4}',
  'mocov2#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"queueLength":32,"temperature":0.1,"momentum":0.99,"bnGroups":2}',
  'mocov3#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"projectorLayers":2,"temperature":1,"momentumBase":0.99,"freezePatchEmbed":false}',
  'mocov3#1': '{"encoder":"vit_tiny_patch4_224","encoderOptions":{"imgSize":16},"hiddenDim":16,"outDim":8,"projectorLayers":3,"temperature":0.2,"momentumBase":0.99,"freezePatchEmbed":false}',
  'mocov3#2': '{"encoder":"vit_tiny_patch4_224","encoderOptions":{"imgSize":16},"hiddenDim":16,"outDim":8,"projectorLayers":2,"temperature":0.5,"momentumBase":0.9,"freezePatchEmbed":true}',
  'swav#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"numPrototypes":10,"temperature":0.1,"epsilon":0.05,"sinkhornIterations":3,"freezePrototypesSteps":313,"queueLength":0,"queueStartEpoch":15,"localCrops":6}',
  'swav#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":16,"outDim":8,"numPrototypes":10,"temperature":0.2,"epsilon":0.1,"sinkhornIterations":2,"freezePrototypesSteps":3,"queueLength":32,"queueStartEpoch":1,"localCrops":2,"localSize":8}',
  'deepclusterv2#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"datasetSize":40,"hiddenDim":16,"outDim":8,"numPrototypes":[5,6],"temperature":0.1,"kmeansIterations":10,"localCrops":6}',
  'deepclusterv2#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"datasetSize":40,"hiddenDim":16,"outDim":8,"numPrototypes":[5],"temperature":0.3,"kmeansIterations":2,"localCrops":1,"localSize":8}',
  'rotation#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":512}',
  'rotation#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"hiddenDim":8}',
  'jigsaw#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"numPermutations":10,"permutationSeed":0,"hiddenDim":512,"imageNormStats":false}',
  'jigsaw#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"numPermutations":10,"permutationSeed":3,"hiddenDim":8,"tileSize":5,"imageNormStats":true}',
  'relative_position#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"chromatic":"projection","hiddenDim":512,"imageNormStats":false}',
  'relative_position#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"chromatic":"drop","hiddenDim":8,"patchSize":5,"gap":1,"jitter":0,"imageNormStats":true}',
  // Written by hand from the hand-coded config() these two had before their option tables (main at 78384c1), with
  // imageNormStats (added since) at the end of the options.
  'context_encoder#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"imageSize":16,"mask":"center","overlap":1,"overlapWeight":10,"adversarial":true,"adversarialWeight":0.001,"discriminatorWidth":32,"imageNormStats":false}',
  'context_encoder#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"imageSize":32,"mask":"block","overlap":2,"overlapWeight":5,"adversarial":false,"adversarialWeight":0.01,"discriminatorWidth":8,"imageNormStats":true,"recipe":{"lr":0.001}}',
  // NOTE: the derived tileSize (7 = 64/75 of the 8 px cell) is now written too; before, only a given one was.
  'damaged_jigsaw#0': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"numPermutations":10,"permutationSeed":0,"hiddenDim":512,"colorizationHiddenDim":64,"imageSize":24,"tileSize":7,"jigsawWeight":1,"inpaintingWeight":1,"colorizationWeight":1,"imageNormStats":false}',
  'damaged_jigsaw#1': '{"encoder":"small_cnn","encoderOptions":{"width":4,"inChannels":3},"numPermutations":10,"permutationSeed":2,"hiddenDim":8,"colorizationHiddenDim":64,"imageSize":32,"tileSize":8,"jigsawWeight":2,"inpaintingWeight":0.5,"colorizationWeight":0.25,"imageNormStats":true}',
};

describe('ssl: config() is unchanged by option tables', function () {
  this.timeout(120_000);
  for (const [name, list] of Object.entries(CASES)) {
    it(`${name}: the recorded config JSON, and create(name, config) rebuilds it`, () => {
      list.forEach((options, i) => {
        torch.manualSeed(0);
        const method = create(name as MethodName, options as never);
        try {
          const json = JSON.stringify(method.config());
          assert.equal(json, EXPECTED[`${name}#${i}`], `${name} case ${i}`);
          const again = create(name as MethodName, JSON.parse(json) as never);
          assert.equal(JSON.stringify(again.config()), json);
          again.dispose();
        } finally {
          method.dispose();
        }
      });
    });
  }
});
