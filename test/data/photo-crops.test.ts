// The colour image set from Debian's photographs (mate-backgrounds): seeded
// crops, the held-out split by place, labels by photo, and its errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { photoCrops, PHOTOS_ROOT } from '../../lib/data/photo-crops';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';

describe('data: crops of photographs (Debian mate-backgrounds)', function () {
  this.timeout(120000);
  let dir = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-photos-'));
    // Two 80x40 "photos": a horizontal ramp in red (x) and a constant green one.
    const ramp = Buffer.alloc(80 * 40 * 3);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 80; x++) ramp[(y * 80 + x) * 3] = x * 3;
    await sharp(ramp, { raw: { width: 80, height: 40, channels: 3 } }).png().toFile(path.join(dir, 'a-ramp.png'));
    const green = Buffer.alloc(80 * 40 * 3);
    for (let i = 0; i < 80 * 40; i++) green[i * 3 + 1] = 200;
    await sharp(green, { raw: { width: 80, height: 40, channels: 3 } }).png().toFile(path.join(dir, 'b-green.png'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('cuts seeded crops labelled by photo; train and test come from disjoint parts of each photo', async () => {
    const opts = { root: dir, size: 8, scale: 5, cropsPerPhoto: 50 } as const; // photos stay 80x40
    const train = await photoCrops({ ...opts, split: 'train' });
    const test = await photoCrops({ ...opts, split: 'test' });
    assert.deepEqual(train.images.shape, [100, 3, 8, 8]);
    assert.deepEqual(train.classes, ['a-ramp', 'b-green']);
    assert.deepEqual(train.labels!.narrow(0, 48, 4).toArray(), [0, 0, 1, 1]);
    // Red = 3x: train crops lie in x < 60 (the left 3/4), test crops in x >= 60.
    const redTrain = train.images.narrow(0, 0, 50).select(1, 0).to('int32');
    const redTest = test.images.narrow(0, 0, 50).select(1, 0).to('int32');
    assert.ok((redTrain.max().item() as number) <= 59 * 3, 'train crops stay left of the held-out part');
    assert.ok((redTest.min().item() as number) >= 60 * 3, 'test crops stay inside the held-out part');
    assert.ok(train.images.narrow(0, 50, 50).select(1, 1).eq(200).all().item(), 'green photo');
    assert.deepEqual(train.mean, test.mean, 'one normalisation for both splits');
    const again = await photoCrops({ ...opts, split: 'train' });
    assert.ok(again.images.equal(train.images), 'same seed, same crops');
    const other = await photoCrops({ ...opts, split: 'train', seed: 3 });
    assert.ok(!other.images.equal(train.images), 'another seed, other crops');
  });

  it('reads Debian\'s photographs through --data photos at the run\'s image size', async function () {
    if (!fs.existsSync(PHOTOS_ROOT)) this.skip(); // mate-backgrounds not installed (scripts/test-deps.js installs it)
    const test = await loadDataSplit(parseDataSpec('photos'), 'test', 32);
    assert.equal(test!.name, 'photos32/test');
    assert.deepEqual(test!.images.shape.slice(1), [3, 32, 32]);
    assert.equal(test!.classes!.length, fs.readdirSync(PHOTOS_ROOT).filter((f) => f.endsWith('.jpg')).length);
    assert.equal(test!.length, 128 * test!.classes!.length);
    const t = test!.images.to('float32');
    assert.ok((t.select(1, 0).sub(t.select(1, 1)).abs().mean().item() as number) > 5, 'colour, not gray');
  });

  it('says what is wrong: a missing folder, a held-out part smaller than a crop', async () => {
    await assert.rejects(photoCrops({ split: 'train', root: path.join(dir, 'none') }), /apt-get install mate-backgrounds/);
    await assert.rejects(photoCrops({ split: 'test', root: dir, size: 32, scale: 1.25, heldOut: 0.25 }),
      /the test part of a-ramp.png is 20 px wide at scale 1.25, less than the 32 px crops/);
    assert.throws(() => parseDataSpec('stl10'), /--data stl10 needs its folder/);
  });
});
