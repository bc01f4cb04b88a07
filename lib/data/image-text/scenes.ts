// Generated scenes for CLIP (issue 20): two coloured shapes of two sizes at
// drawn positions on a black 32 x 32 RGB image, related by "left of",
// "right of", "above" or "below", each with its caption ("a small red circle
// left of a large blue square"). Rendering is deterministic from a seed
// (mulberry32 on the host, pure arithmetic per pixel: the same bytes on every
// machine). A fixed fifth of the colour/shape/relation combinations
// (colour and shape of each object and their relation, sizes aside) is held
// out: training scenes never show them, so retrieval on scenes of held-out
// combinations measures composition of seen words and attributes rather than
// memory of seen captions. Every colour, shape and relation still occurs in
// training (tested).
import * as torch from '../../torch';
import { checkInt } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';
import { mulberry32 } from '../../torch/host-random';
import { ImageDataset, makeDataset } from '../dataset';

/** RGB of each colour word. */
export const SCENE_COLOURS = { red: [220, 40, 40], green: [40, 190, 60], blue: [50, 80, 235], yellow: [235, 215, 40] } as const;
export type SceneColour = keyof typeof SCENE_COLOURS;
export const SCENE_SHAPES = ['circle', 'square', 'triangle'] as const;
export type SceneShape = (typeof SCENE_SHAPES)[number];
/** Half-extent in pixels of each size word: an object covers (2r + 1) x (2r + 1) pixels around its centre. */
export const SCENE_SIZES = { small: 3, large: 6 } as const;
export type SceneSize = keyof typeof SCENE_SIZES;
/** How the first object stands to the second. */
export const SCENE_RELATIONS = ['left of', 'right of', 'above', 'below'] as const;
export type SceneRelation = (typeof SCENE_RELATIONS)[number];
/** Side of a scene image in pixels. */
export const SCENE_SIDE = 32;
/** One combination in this many is held out of training (chosen by a hash of the combination). */
export const SCENE_HELD_OUT_EVERY = 5;

const COLOURS = Object.keys(SCENE_COLOURS) as SceneColour[];
const SIZES = Object.keys(SCENE_SIZES) as SceneSize[];

/** One object: what it is and where its centre is (pixel column x, row y). */
export interface SceneObject {
  colour: SceneColour;
  shape: SceneShape;
  size: SceneSize;
  x: number;
  y: number;
}

/** A scene: `objects[0]` stands in `relation` to `objects[1]`. */
export interface Scene {
  objects: [SceneObject, SceneObject];
  relation: SceneRelation;
}

/** The caption of a scene. @example sceneCaption(s); // 'a small red circle left of a large blue square' */
export function sceneCaption(s: Scene): string {
  const [a, b] = s.objects;
  return `a ${a.size} ${a.colour} ${a.shape} ${s.relation} a ${b.size} ${b.colour} ${b.shape}`;
}

/** A scene's colour/shape/relation combination (sizes aside). @example sceneCombination(s); // 'red circle left of blue square' */
export function sceneCombination(s: Scene): string {
  const [a, b] = s.objects;
  return `${a.colour} ${a.shape} ${s.relation} ${b.colour} ${b.shape}`;
}

/**
 * Whether a combination is held out of training: FNV-1a of its text, modulo
 * `SCENE_HELD_OUT_EVERY`, so the split is fixed whatever the seed or the order of the lists.
 * @example isHeldOutCombination('red circle left of blue square');
 */
export function isHeldOutCombination(combination: string): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < combination.length; i++) h = Math.imul(h ^ combination.charCodeAt(i), 0x01000193) >>> 0;
  return h % SCENE_HELD_OUT_EVERY === 0;
}

/** Every caption a scene can have (tokenizer training text). @example WordPieceTokenizer.train(sceneCaptionTexts(), { vocabSize: 64 }); */
export function sceneCaptionTexts(): string[] {
  const objects = SIZES.flatMap((size) => COLOURS.flatMap((colour) => SCENE_SHAPES.map((shape) => `${size} ${colour} ${shape}`)));
  return objects.flatMap((a) => SCENE_RELATIONS.flatMap((r) => objects.map((b) => `a ${a} ${r} a ${b}`)));
}

/** Whether centres (x1, y1) and (x2, y2) with half-extents r1, r2 stand in `relation`, with a blank pixel between and the relation's axis dominant. */
function placed(relation: SceneRelation, x1: number, y1: number, r1: number, x2: number, y2: number, r2: number): boolean {
  const [dx, dy] = [x2 - x1, y2 - y1];
  switch (relation) {
    case 'left of': return x1 + r1 + 1 < x2 - r2 && Math.abs(dy) < Math.abs(dx);
    case 'right of': return x2 + r2 + 1 < x1 - r1 && Math.abs(dy) < Math.abs(dx);
    case 'above': return y1 + r1 + 1 < y2 - r2 && Math.abs(dx) < Math.abs(dy);
    case 'below': return y2 + r2 + 1 < y1 - r1 && Math.abs(dx) < Math.abs(dy);
  }
}

/**
 * Draws one scene from `rand`: attributes until the combination is (or is not) held out, then positions
 * until the relation holds (both by rejection; a few draws on average).
 * @example const s = drawScene(mulberry32(0), false);
 */
export function drawScene(rand: () => number, heldOut: boolean): Scene {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)];
  for (;;) {
    const objects = [0, 1].map(() => ({ colour: pick(COLOURS), shape: pick(SCENE_SHAPES), size: pick(SIZES), x: 0, y: 0 })) as
      [SceneObject, SceneObject];
    const scene: Scene = { objects, relation: pick(SCENE_RELATIONS) };
    if (isHeldOutCombination(sceneCombination(scene)) !== heldOut) continue;
    const [r1, r2] = objects.map((o) => SCENE_SIZES[o.size]);
    const at = (r: number) => r + Math.floor(rand() * (SCENE_SIDE - 2 * r));
    for (let tries = 0; tries < 1000; tries++) {
      const [x1, y1, x2, y2] = [at(r1), at(r1), at(r2), at(r2)];
      if (!placed(scene.relation, x1, y1, r1, x2, y2, r2)) continue;
      Object.assign(objects[0], { x: x1, y: y1 });
      Object.assign(objects[1], { x: x2, y: y2 });
      return scene;
    }
  }
}

/** Whether pixel (px, py) lies in the object. Triangles point up: apex at the top row, base the bottom row. */
function covers(o: SceneObject, px: number, py: number): boolean {
  const r = SCENE_SIZES[o.size];
  const [dx, dy] = [px - o.x, py - o.y];
  if (Math.abs(dx) > r || Math.abs(dy) > r) return false;
  if (o.shape === 'square') return true;
  if (o.shape === 'circle') return dx * dx + dy * dy <= r * r;
  return 2 * Math.abs(dx) <= dy + r; // width grows from 1 pixel at the apex (dy = -r) to 2r + 1 at the base
}

/**
 * Renders `scene` into `out` (uint8 CHW, 3 x 32 x 32) at `offset`: black background, flat colours.
 * @example const img = new Uint8Array(3 * 32 * 32); renderScene(s, img, 0);
 */
export function renderScene(scene: Scene, out: Uint8Array, offset = 0): void {
  const plane = SCENE_SIDE * SCENE_SIDE;
  for (const o of scene.objects) {
    const rgb = SCENE_COLOURS[o.colour];
    const r = SCENE_SIZES[o.size];
    for (let py = Math.max(0, o.y - r); py <= Math.min(SCENE_SIDE - 1, o.y + r); py++) {
      for (let px = Math.max(0, o.x - r); px <= Math.min(SCENE_SIDE - 1, o.x + r); px++) {
        if (!covers(o, px, py)) continue;
        for (let c = 0; c < 3; c++) out[offset + c * plane + py * SCENE_SIDE + px] = rgb[c];
      }
    }
  }
}

/** A set of rendered scenes with their captions. */
export interface SceneSet {
  dataset: ImageDataset;
  captions: string[];
  scenes: Scene[];
}

/** `generateScenes`'s options: defaults and checks (`makeDataset` checks the stats). */
export const GENERATE_SCENES_OPTIONS = defineOptions({
  /** Seeds the scenes. Default 0. */
  seed: option(0, is.int(0)),
  /** true: only held-out combinations (evaluation); false: only the others (training and the seen test set). Default false. */
  heldOut: option(false, is.boolean),
  /** Per-channel mean and std to normalise with (the training set's); default: this set's. */
  stats: option(OPTIONAL, is.checkedLater<{ readonly mean: readonly number[]; readonly std: readonly number[] }>()),
});

/** Options of `generateScenes`. */
export type GenerateScenesOptions = GivenOptions<typeof GENERATE_SCENES_OPTIONS.specs>;

/**
 * `n` scenes rendered from `seed`: the same images and captions on every call and machine.
 * @example
 * const train = generateScenes(20000, { seed: 0 });
 * const novel = generateScenes(1000, { seed: 2, heldOut: true, stats: train.dataset });
 */
export function generateScenes(n: number, options: GenerateScenesOptions = {}): SceneSet {
  checkInt(n, 'n', 1);
  const { seed, heldOut, stats: given } = GENERATE_SCENES_OPTIONS.resolve(options, optionsKey);
  const rand = mulberry32(seed);
  const size = 3 * SCENE_SIDE * SCENE_SIDE;
  const pixels = new Uint8Array(n * size);
  const scenes: Scene[] = [];
  for (let i = 0; i < n; i++) {
    const s = drawScene(rand, heldOut);
    renderScene(s, pixels, i * size);
    scenes.push(s);
  }
  const images = torch.tensor(pixels, { shape: [n, 3, SCENE_SIDE, SCENE_SIDE] });
  const name = `scenes[${heldOut ? 'held-out combinations' : 'seen combinations'}, seed ${seed}]`;
  const stats = given !== undefined ? { mean: [...given.mean], std: [...given.std] } : {};
  return { dataset: makeDataset({ name, images, ...stats }), captions: scenes.map(sceneCaption), scenes };
}
