// Exporting leaves no tensor behind: exportOnnx's trace (weights read out,
// the example's activations) and writeEmbeddings' CPU copies are freed when
// the call returns, not left to the garbage collector (50 tensors per
// small_cnn export and 300 per ViT export, 3 per embeddings file before the
// fix of 2026-12-06).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import * as models from '../../lib/models';
import { exportOnnx } from '../../lib/export/onnx/export';
import { writeEmbeddings } from '../../lib/export/embeddings-file';
import { tensorsLeftBy } from '../helpers/tensors-left';

describe('export: no tensor left behind', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'leftovers-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('exportOnnx of a small_cnn and of a ViT', () => {
    const cnn = models.create('small_cnn', { width: 4, inChannels: 1 });
    const vit = models.create('vit_tiny_patch8_224', { imgSize: 32, numClasses: 0 });
    const x1 = torch.keep(torch.zeros([1, 1, 28, 28]));
    const x3 = torch.keep(torch.zeros([1, 3, 32, 32]));
    try {
      assert.deepEqual([tensorsLeftBy(() => exportOnnx(cnn, x1, path.join(dir, 'cnn.onnx'))),
        tensorsLeftBy(() => exportOnnx(vit, x3, path.join(dir, 'vit.onnx')))], [0, 0]);
      assert.ok(fs.statSync(path.join(dir, 'vit.onnx')).size > 100_000, 'the ViT was written');
    } finally {
      [cnn, vit, x1, x3].forEach((t) => t.dispose());
    }
  });

  it('writeEmbeddings in each format, converting float64 embeddings and int32 labels, and as given', () => {
    const f64 = torch.keep(torch.randn([5, 3], { dtype: 'float64' }));
    const f32 = torch.keep(torch.randn([5, 3]));
    const labels = torch.keep(torch.zeros([5], { dtype: 'int32' }));
    const labels64 = torch.keep(torch.zeros([5], { dtype: 'int64' }));
    const ids = torch.keep(torch.arange(5));
    try {
      const left = ['e.npy', 'e.safetensors', 'e.parquet'].map((f) =>
        tensorsLeftBy(() => writeEmbeddings(path.join(dir, f), { embeddings: f64, labels, ids, metadata: {} })));
      left.push(tensorsLeftBy(() => writeEmbeddings(path.join(dir, 'g.npy'), { embeddings: f32, labels: labels64, ids, metadata: {} })));
      assert.deepEqual(left, [0, 0, 0, 0]);
      assert.deepEqual([f64.isDisposed, f32.isDisposed, labels.isDisposed, labels64.isDisposed, ids.isDisposed],
        [false, false, false, false, false], 'the caller\'s tensors stay');
    } finally {
      [f64, f32, labels, labels64, ids].forEach((t) => t.dispose());
    }
  });
});
