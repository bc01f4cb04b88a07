// `selfsup preview`: a PNG grid of augmented views, to see what a recipe does
// to a dataset before training on it.
import { Command, InvalidArgumentError } from 'commander';
import { Generator } from '../torch/random';
import { randperm } from '../torch/creation';
import { scope } from '../torch/scope';
import { Tensor } from '../torch/tensor';
import { disposeDataset, ImageDataset } from '../data/dataset';
import { fashionMnist } from '../data/fashion-mnist';
import { cifar10, cifar100 } from '../data/cifar';
import { synthetic } from '../data/synthetic';
import { toFloatImages } from '../data/transforms/normalize';
import { RECIPES, RecipeName } from '../data/transforms/recipes';
import { writeImageGrid, ImageGridInfo } from '../data/image-grid';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { PREVIEW_TASKS, PreviewTask, methodFromRun, previewTask } from './task-preview';
import { GivenOptions } from '../torch/option-table';
import { gridScale, PREVIEW_OPTIONS } from './preview-options';

export { PREVIEW_OPTIONS } from './preview-options';

/** Options of `preview`. */
export interface PreviewOptions extends GivenOptions<typeof PREVIEW_OPTIONS.specs> {
  /** The augmentation recipe: 'simclr', 'byol', 'dino' or 'mae'. */
  recipe: RecipeName;
  dataset: ImageDataset;
  /** Where to write the PNG. */
  out: string;
}

/**
 * Writes a grid with `n` random images of `dataset` in the first column and
 * `views` augmented views of each beside them. Recipes with several views
 * per call (SimCLR's pair, DINO's 2 global + K local crops) are called until
 * there are enough; the columns show the views in the recipe's order.
 *
 * @example
 * await preview({ recipe: 'simclr', dataset: data.fashionMnist({ split: 'train' }), out: 'views.png' });
 */
export async function preview(options: PreviewOptions): Promise<ImageGridInfo & { file: string }> {
  const recipe = RECIPES[options.recipe];
  if (recipe === undefined) {
    throw new TypeError(`Expected one of ${Object.keys(RECIPES).join(', ')} for recipe but received ${String(options.recipe)}`);
  }
  const { dataset } = options;
  const o = PREVIEW_OPTIONS.resolve(options, (k) => k);
  const n = Math.min(o.n, dataset.length);
  const wanted = o.views;
  const [, channels, size] = dataset.images.shape;
  const columns = scope(() => {
    const generator = new Generator().manualSeed(o.seed);
    const picked = randperm(dataset.length, { generator }).narrow(0, 0, n);
    const originals = toFloatImages(dataset.images.indexSelect(0, picked));
    // No normalisation: the grid shows pixels.
    const multiView = recipe({ size, channels });
    const views: Tensor[] = [];
    while (views.length < wanted) views.push(...multiView.forward(originals, generator));
    return [originals, ...views.slice(0, wanted)];
  });
  try {
    const scale = gridScale(o.scale, size);
    return { file: options.out, ...(await writeImageGrid(options.out, columns, { scale })) };
  } finally {
    for (const c of columns) c.dispose();
  }
}

function positiveInt(what: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || (n === 0 && what !== 'seed')) {
      throw new InvalidArgumentError(`Expected ${what === 'seed' ? 'a non-negative' : 'a positive'} integer for --${what} ` +
        `but received ${v}`);
    }
    return n;
  };
}

/** The datasets `--data` names, read with `root` where they need one. */
function loadDataset(name: string, split: 'train' | 'test', root: string | undefined): ImageDataset {
  switch (name) {
    case 'fashion-mnist': return fashionMnist({ split, root });
    case 'cifar10':
    case 'cifar100': {
      if (root === undefined) throw new Error(`Expected --root with the ${name} binary files for --data ${name}`);
      return name === 'cifar10' ? cifar10({ split, root }) : cifar100({ split, root });
    }
    case 'synthetic': return synthetic({ n: 256 });
    default:
      throw new Error(`Expected fashion-mnist, cifar10, cifar100 or synthetic for --data but received ${name}`);
  }
}

/**
 * Registers `selfsup preview --recipe simclr --data fashion-mnist --out views.png [--n 8] [--views 4] [--seed 0]`.
 * @example registerPreview(new Command('selfsup'));
 */
export function registerPreview(program: Command): void {
  program.command('preview')
    .description('Write a PNG grid of augmented views (originals first, views beside them), or with --task of what a ' +
      'pretext task feeds its network and asks it to predict')
    .option('--recipe <name>', `augmentation recipe: ${Object.keys(RECIPES).join(', ')}`, 'simclr')
    .option('--data <name>', 'dataset: fashion-mnist, cifar10, cifar100 or synthetic', 'fashion-mnist')
    .option('--root <dir>', 'folder of the dataset files (fashion-mnist: Debian\'s by default)')
    .option('--split <split>', 'train or test', 'train')
    .requiredOption('--out <file>', 'PNG file to write')
    .option('--n <count>', 'number of images (rows)', positiveInt('n'), PREVIEW_OPTIONS.defaults.n)
    .option('--views <count>', 'augmented views per image', positiveInt('views'), PREVIEW_OPTIONS.defaults.views)
    .option('--seed <seed>', 'seed of the image choice and the augmentations', positiveInt('seed'), PREVIEW_OPTIONS.defaults.seed)
    .option('--scale <factor>', 'integer magnification (default 2 under 64 px)', positiveInt('scale'))
    .option('--task <name>', `show a pretext task instead of a recipe: ${PREVIEW_TASKS.join(', ')} (--data also takes ` +
      'photos, stl10:<dir>, folder:<dir>)')
    .option('--run <folder>', 'with --task: the trained method of this run folder, to show its predictions')
    .action(async (o: { recipe: string; data: string; root?: string; split: string; out: string; n: number;
      views: number; seed: number; scale?: number; task?: string; run?: string }) => {
      if (o.task !== undefined) {
        await previewTaskCommand(o.task, o);
        return;
      }
      if (!(o.recipe in RECIPES)) {
        throw new Error(`Expected one of ${Object.keys(RECIPES).join(', ')} for --recipe but received ${o.recipe}`);
      }
      if (o.split !== 'train' && o.split !== 'test') throw new Error(`Expected train or test for --split but received ${o.split}`);
      const dataset = loadDataset(o.data, o.split, o.root);
      try {
        const info = await preview({ recipe: o.recipe as RecipeName, dataset, out: o.out, n: o.n, views: o.views,
          seed: o.seed, scale: o.scale });
        process.stdout.write(`Wrote ${info.file} (${info.width}x${info.height}): ${o.n} ${dataset.name} images, ` +
          `${o.views} ${o.recipe} views each\n`);
      } finally {
        disposeDataset(dataset);
      }
    });
}

/** `selfsup preview --task <name>`: the task's grid on --data, with a run's trained method when --run is given. */
async function previewTaskCommand(task: string, o: { data: string; root?: string; split: string; out: string; n: number;
  seed: number; scale?: number; run?: string }): Promise<void> {
  if (!(PREVIEW_TASKS as readonly string[]).includes(task)) {
    throw new Error(`Expected one of ${PREVIEW_TASKS.join(', ')} for --task but received ${task}`);
  }
  if (o.split !== 'train' && o.split !== 'test') throw new Error(`Expected train or test for --split but received ${o.split}`);
  const dataset = await loadDataSplit(parseDataSpec(o.data, o.root), o.split);
  if (dataset === undefined) throw new Error(`--data ${o.data} has no ${o.split} split`);
  const method = o.run === undefined ? undefined : methodFromRun(o.run, dataset.images.shape);
  if (method !== undefined && method.name !== task) {
    method.dispose();
    disposeDataset(dataset);
    throw new Error(`--run ${o.run} trained '${method.name}', not '${task}'`);
  }
  try {
    const info = await previewTask({ task: task as PreviewTask, dataset, out: o.out, n: o.n, seed: o.seed, scale: o.scale,
      method });
    process.stdout.write(`Wrote ${info.file} (${info.width}x${info.height}): ${o.n} ${dataset.name} images, one per row; ` +
      `columns: ${info.legend.map((l, i) => `${i + 1}. ${l}`).join('; ')}` +
      `${method === undefined ? ' (predictions of an untrained network: pass --run <folder> for a trained one)' : ''}\n`);
    // previewTask hands back the drawn columns and task: the command is their last user.
    info.columns.forEach((c) => c.dispose());
    Object.values(info.task ?? {}).forEach((t) => t.dispose());
  } finally {
    method?.dispose();
    disposeDataset(dataset);
  }
}
