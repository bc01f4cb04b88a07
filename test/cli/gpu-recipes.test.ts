// The GPU recipes in examples/configs (issues 16, 22): every *-gpu.json is a
// valid --config file that resolves to a CUDA run and builds its method here
// (they have not run on a GPU: scripts/cuda/build-and-test.sh's recipe stage
// runs the SimCLR one); every pretext task has one; and a recipe built on
// small_cnn is its method's CPU preset (encoder, method options, batch and
// optimiser: the measured recipe) trained longer on the GPU.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildMethod, resolveRunConfig } from '../../lib/cli/train';
import { CPU_PRESETS } from '../../lib/cli/cpu-presets';
import { MethodName } from '../../lib/ssl/method';
import { repoRoot } from '../helpers/python-reference';

const CONFIGS = path.join(repoRoot(), 'examples', 'configs');
const PRETEXT: readonly MethodName[] = ['rotation', 'jigsaw', 'relative_position', 'context_encoder', 'colorization',
  'split_brain', 'deoldify', 'damaged_jigsaw'];

function recipes(): { file: string; json: Record<string, unknown> }[] {
  return fs.readdirSync(CONFIGS).filter((f) => f.endsWith('-gpu.json')).sort()
    .map((file) => ({ file, json: JSON.parse(fs.readFileSync(path.join(CONFIGS, file), 'utf8')) as Record<string, unknown> }));
}

describe('cli: the GPU recipes in examples/configs', function () {
  this.timeout(120_000);

  it('each resolves to a CUDA run of its method and builds it', () => {
    assert.ok(recipes().length >= 9, `${recipes().length} recipes`);
    for (const { file, json } of recipes()) {
      const c = resolveRunConfig(undefined, { eval: true, config: path.join(CONFIGS, file) });
      assert.deepEqual([c.method, c.encoder, c.device, c.precision], [json.method, json.encoder, 'cuda', 'auto'], file);
      const channels = c.data === 'fashion-mnist' ? 1 : 3;
      const { method } = buildMethod(c, [1, channels, c.imageSize, c.imageSize]);
      assert.equal(method.name, json.method, file);
      method.dispose();
    }
  });

  it('every pretext task has one', () => {
    const have = new Set(recipes().map((r) => r.json.method));
    assert.deepEqual(PRETEXT.filter((m) => !have.has(m)), []);
  });

  it('a small_cnn recipe is its CPU preset (encoder, method options, batch, optimiser), longer', () => {
    const small = recipes().filter((r) => r.json.encoder === 'small_cnn');
    assert.deepEqual(small.map((r) => r.json.method).sort(),
      ['context_encoder', 'damaged_jigsaw', 'jigsaw', 'relative_position', 'rotation']);
    for (const { file, json } of small) {
      const preset = CPU_PRESETS[json.method as MethodName];
      assert.ok(preset !== undefined, `${file}: ${String(json.method)} has a CPU preset`);
      assert.deepEqual([json.encoderOptions, json.methodOptions, json.batchSize, json.optimizer],
        [preset.encoderOptions, preset.methodOptions, preset.batchSize, preset.optimizer], file);
      assert.ok((json.epochs as number) > (preset.epochs ?? 0), `${file}: ${String(json.epochs)} epochs, the preset ${preset.epochs}`);
    }
  });
});
