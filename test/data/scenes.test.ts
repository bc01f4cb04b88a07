// Generated scenes for CLIP: rendering is deterministic from the seed; the
// pixels of hand-placed shapes are where their geometry puts them; for
// generated scenes, everything the caption says (colours, sizes, shapes,
// relation) is read back from the pixels alone; held-out combinations never
// occur in training, while every colour, shape and relation does.
import * as assert from 'node:assert/strict';
import {
  generateScenes, isHeldOutCombination, renderScene, Scene, SCENE_COLOURS, SCENE_HELD_OUT_EVERY, SCENE_RELATIONS, SCENE_SHAPES,
  SCENE_SIDE, SCENE_SIZES, sceneCaption, sceneCaptionTexts, sceneCombination, SceneColour, SceneObject,
} from '../../lib/data/image-text';

const S = SCENE_SIDE;
const PLANE = S * S;

/** The RGB of pixel (x, y) of a CHW image. */
function rgb(img: Uint8Array, x: number, y: number): number[] {
  return [0, 1, 2].map((c) => img[c * PLANE + y * S + x]);
}

function render(objects: SceneObject[]): Uint8Array {
  const img = new Uint8Array(3 * PLANE);
  renderScene({ objects: objects as Scene['objects'], relation: 'left of' }, img);
  return img;
}

/** What the pixels of one colour show: their bounding box and count. */
function blob(img: Uint8Array, colour: SceneColour): { x0: number; x1: number; y0: number; y1: number; count: number } {
  const want = SCENE_COLOURS[colour];
  let [x0, x1, y0, y1, count] = [S, -1, S, -1, 0];
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const p = rgb(img, x, y);
      if (p[0] !== want[0] || p[1] !== want[1] || p[2] !== want[2]) continue;
      [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
      count++;
    }
  }
  return { x0, x1, y0, y1, count };
}

describe('data: generated scenes (CLIP)', function () {
  this.timeout(60000);

  it('renders the same bytes and captions from the same seed, other ones from another', () => {
    const a = generateScenes(50, { seed: 7 });
    const b = generateScenes(50, { seed: 7 });
    const c = generateScenes(50, { seed: 8 });
    assert.deepEqual(a.dataset.images.shape, [50, 3, S, S]);
    assert.equal(a.dataset.images.dtype, 'uint8');
    assert.ok(Buffer.from(a.dataset.images.toTypedArray() as Uint8Array).equals(Buffer.from(b.dataset.images.toTypedArray() as Uint8Array)));
    assert.deepEqual(a.captions, b.captions);
    assert.notDeepEqual(a.captions, c.captions);
    // The pixels are a function of the scene alone: rendering scene 3 again gives its image.
    const again = new Uint8Array(3 * PLANE);
    renderScene(a.scenes[3], again);
    assert.ok(Buffer.from(again).equals(Buffer.from(a.dataset.images.select(0, 3).toTypedArray() as Uint8Array)));
    for (const set of [a, b, c]) set.dataset.images.dispose();
  });

  it('puts the pixels of hand-placed shapes where their geometry says', () => {
    const r = SCENE_SIZES.large; // 6
    const img = render([
      { colour: 'red', shape: 'square', size: 'large', x: 8, y: 8 },
      { colour: 'blue', shape: 'circle', size: 'large', x: 23, y: 8 },
    ]);
    const red = [...SCENE_COLOURS.red];
    const blue = [...SCENE_COLOURS.blue];
    const black = [0, 0, 0];
    assert.deepEqual(rgb(img, 0, 31), black, 'background');
    assert.deepEqual(rgb(img, 8 - r, 8 - r), red, 'square: corner in');
    assert.deepEqual(rgb(img, 8 + r, 8 + r), red);
    assert.deepEqual(rgb(img, 8 + r + 1, 8), black, 'square: one past the edge');
    assert.equal(blob(img, 'red').count, (2 * r + 1) ** 2);
    assert.deepEqual(rgb(img, 23, 8), blue, 'circle: centre');
    assert.deepEqual(rgb(img, 23 + r, 8), blue, 'circle: right end of the horizontal diameter');
    assert.deepEqual(rgb(img, 23 + r, 8 + r), black, 'circle: the bounding box\'s corner is outside');
    const circle = blob(img, 'blue').count; // lattice points with dx² + dy² <= 36
    let want = 0;
    for (let dx = -r; dx <= r; dx++) for (let dy = -r; dy <= r; dy++) want += dx * dx + dy * dy <= r * r ? 1 : 0;
    assert.equal(circle, want);

    const s = SCENE_SIZES.small; // 3
    const tri = render([{ colour: 'green', shape: 'triangle', size: 'small', x: 10, y: 20 },
      { colour: 'yellow', shape: 'triangle', size: 'large', x: 22, y: 20 }]);
    const green = [...SCENE_COLOURS.green];
    assert.deepEqual(rgb(tri, 10, 20 - s), green, 'triangle: apex');
    assert.deepEqual(rgb(tri, 9, 20 - s), black, 'triangle: beside the apex');
    for (let x = 10 - s; x <= 10 + s; x++) assert.deepEqual(rgb(tri, x, 20 + s), green, `triangle: base at x = ${x}`);
    assert.deepEqual(rgb(tri, 10 - s, 20 - s + 1), black, 'triangle: upper left corner of its box is outside');
    // Rows 1, 1, 3, 3, 5, 5, 7 pixels wide (|dx| <= (dy + r) / 2).
    assert.equal(blob(tri, 'green').count, 1 + 1 + 3 + 3 + 5 + 5 + 7);
  });

  it('captions say what the pixels show: colours, sizes, shapes and the relation, read back from the image alone', () => {
    const set = generateScenes(300, { seed: 3 });
    const images = set.dataset.images.toTypedArray() as Uint8Array;
    let checked = 0;
    set.captions.forEach((caption, i) => {
      const m = /^a (small|large) (\w+) (circle|square|triangle) (left of|right of|above|below) a (small|large) (\w+) (circle|square|triangle)$/
        .exec(caption);
      assert.ok(m, caption);
      assert.equal(caption, sceneCaption(set.scenes[i]));
      const [, size1, colour1, shape1, relation, size2, colour2, shape2] = m;
      if (colour1 === colour2) return; // the two objects' pixels cannot be told apart by colour
      const img = images.subarray(i * 3 * PLANE, (i + 1) * 3 * PLANE);
      const blobs = [blob(img, colour1 as SceneColour), blob(img, colour2 as SceneColour)];
      [[size1, shape1], [size2, shape2]].forEach(([size, shape], k) => {
        const b = blobs[k];
        const side = 2 * SCENE_SIZES[size as 'small' | 'large'] + 1;
        // A shape may be cut by the image's edge only if it were placed there: it never is (centres keep r from the edges).
        assert.deepEqual([b.x1 - b.x0 + 1, b.y1 - b.y0 + 1], [side, side], `${caption}: ${size} is ${side} px`);
        // Pixels over the box: square 1; circle 29/49 = 0.59 (small), 113/169 = 0.67 (large); triangle 25/49 = 0.51, 85/169 = 0.50.
        const fill = b.count / (side * side);
        const seen = fill === 1 ? 'square' : fill > 0.55 ? 'circle' : 'triangle';
        assert.equal(seen, shape, `${caption}: fill ${fill.toFixed(2)}`);
      });
      const [a, b] = blobs;
      // The relation: along the axis where the centres (of the bounding boxes) differ most, with a blank line of pixels between.
      const [dx, dy] = [(b.x0 + b.x1 - a.x0 - a.x1) / 2, (b.y0 + b.y1 - a.y0 - a.y1) / 2];
      const seenRelation = Math.abs(dx) > Math.abs(dy) ? (a.x1 + 1 < b.x0 ? 'left of' : b.x1 + 1 < a.x0 ? 'right of' : 'touching')
        : (a.y1 + 1 < b.y0 ? 'above' : b.y1 + 1 < a.y0 ? 'below' : 'touching');
      assert.equal(seenRelation, relation, caption);
      // Nothing else is drawn.
      let coloured = 0;
      for (let p = 0; p < PLANE; p++) coloured += img[p] + img[PLANE + p] + img[2 * PLANE + p] > 0 ? 1 : 0;
      assert.equal(coloured, a.count + b.count);
      checked++;
    });
    assert.ok(checked > 200, `${checked} scenes checked`);
    set.dataset.images.dispose();
  });

  it('holds out a fixed fifth of the combinations: never in training, only in the held-out set; every part still seen', () => {
    const combos = new Set(sceneCaptionTexts().map((t) => t.replace(/\b(small|large) /g, '').replace(/^a /, '').replace(/ a /, ' ')));
    assert.equal(combos.size, 4 * 3 * 4 * 4 * 3);
    const held = [...combos].filter(isHeldOutCombination);
    assert.ok(Math.abs(held.length / combos.size - 1 / SCENE_HELD_OUT_EVERY) < 0.05, `${held.length} of ${combos.size} held out`);
    const train = generateScenes(3000, { seed: 0 });
    const novel = generateScenes(300, { seed: 2, heldOut: true, stats: train.dataset });
    assert.ok(train.scenes.every((s) => !isHeldOutCombination(sceneCombination(s))), 'a held-out combination in training');
    assert.ok(novel.scenes.every((s) => isHeldOutCombination(sceneCombination(s))));
    const trainCombos = new Set(train.scenes.map(sceneCombination));
    assert.ok(novel.scenes.every((s) => !trainCombos.has(sceneCombination(s))));
    // Each colour (either object), shape and relation occurs in training; the held-out set has the training set's statistics.
    const words = new Set(train.captions.join(' ').split(' '));
    for (const w of [...Object.keys(SCENE_COLOURS), ...SCENE_SHAPES, 'left', 'right', 'above', 'below']) assert.ok(words.has(w), w);
    assert.ok(SCENE_RELATIONS.every((r) => train.scenes.some((s) => s.relation === r)));
    assert.deepEqual([novel.dataset.mean, novel.dataset.std], [train.dataset.mean, train.dataset.std]);
    train.dataset.images.dispose();
    novel.dataset.images.dispose();
  });

  it('checks its options by name (GENERATE_SCENES_OPTIONS): heldOut takes booleans only, seed a non-negative integer', () => {
    assert.throws(() => generateScenes(2, { heldOut: 1 as unknown as boolean }), /options\.heldOut/);
    assert.throws(() => generateScenes(2, { seed: -1 }), /options\.seed/);
  });
});
