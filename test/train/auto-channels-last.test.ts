// The Trainer's channels-last 'auto' choice reads the encoder's prefersChannelsLast.
import * as assert from 'node:assert/strict';
import * as models from '../../lib/models';
import { autoChannelsLast } from '../../lib/train/step-engine';

describe('train: channelsLast auto', () => {
  it('is on for convolutional encoders on CUDA, off for ViTs (prefersChannelsLast false) and on the CPU', () => {
    const cnn = models.create('small_cnn', { width: 8, numClasses: 0 });
    const vit = models.create('vit_tiny_patch16_224', { imgSize: 32, numClasses: 0 });
    assert.equal(vit.prefersChannelsLast, false);
    assert.deepEqual([autoChannelsLast(cnn, 'cuda'), autoChannelsLast(vit, 'cuda'), autoChannelsLast(cnn, 'cpu')],
      [true, false, false]);
    cnn.dispose();
    vit.dispose();
  });
});
