// Shape and layout: views (sharing data where PyTorch's do), reorderings,
// repetition and splitting into pieces.
import { Tensor } from '../tensor';
import { h, op } from '../op';
import { Dims } from './reduction';

declare module '../tensor' {
  interface Tensor {
    /**
     * This data with another shape (no copy; -1 infers one size), as `tensor.view`.
     * Sizes may be given as numbers or as one array.
     * @example x.view(2, -1); x.view([B, -1])
     */
    view(...shape: number[]): Tensor;
    /** `view` with the shape as one array. @example x.view([2, 3]) */
    view(shape: readonly number[]): Tensor;
    /** Like `view`, but copies when the layout requires it, as `tensor.reshape`. @example x.reshape(-1); x.reshape([B, C, H * W]) */
    reshape(...shape: number[]): Tensor;
    /** `reshape` with the shape as one array. @example x.reshape([2, 3]) */
    reshape(shape: readonly number[]): Tensor;
    /** Reorders dimensions (a view), as `tensor.permute`. @example img.permute(0, 2, 3, 1); x.permute([1, 0]) */
    permute(...dims: number[]): Tensor;
    /** `permute` with the dims as one array. @example x.permute([2, 3]) */
    permute(dims: readonly number[]): Tensor;
    /** Swaps two dimensions (a view). @example q.transpose(-2, -1) */
    transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a matrix (0-D and 1-D tensors are returned as they are). @example w.t() */
    t(): Tensor;
    /** Removes dimensions of size 1 (all of them, or only `dim`). @example x.squeeze(); x.squeeze(1) */
    squeeze(dim?: number): Tensor;
    /** Inserts a dimension of size 1 at `dim`. @example x.unsqueeze(0) */
    unsqueeze(dim: number): Tensor;
    /**
     * A broadcast view with larger sizes (-1 keeps a size; no copy), as `tensor.expand`.
     * @example bias.view(1, C, 1, 1).expand(B, -1, H, W)
     */
    expand(...sizes: number[]): Tensor;
    /** `expand` with the sizes as one array. @example x.expand([2, 3]) */
    expand(sizes: readonly number[]): Tensor;
    /** `expand(other.shape)`. @example mask.expandAs(x) */
    expandAs(other: Tensor): Tensor;
    /** Merges dimensions startDim..endDim into one. @example feats.flatten(1) */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** Splits dimension `dim` into `sizes` (one may be -1). @example x.unflatten(1, [heads, -1]) */
    unflatten(dim: number, sizes: readonly number[]): Tensor;
    /** Tiles the data `repeats[i]` times along each dimension (copies), as `tensor.repeat`. @example x.repeat(2, 1) */
    repeat(...repeats: number[]): Tensor;
    /** `repeat` with the repeats as one array. @example x.repeat([2, 3]) */
    repeat(repeats: readonly number[]): Tensor;
    /** Like `repeat`, padding `dims` with leading 1s when it is shorter than the shape. @example x.tile(2) */
    tile(...dims: number[]): Tensor;
    /** `tile` with the dims as one array. @example x.tile([2, 3]) */
    tile(dims: readonly number[]): Tensor;
    /** Reverses the order of elements along `dims`. @example img.flip(3) */
    flip(dims: Dims): Tensor;
    /** Shifts elements cyclically along `dims` (the flattened tensor when omitted). @example x.roll(1, 0) */
    roll(shifts: Dims, dims?: Dims): Tensor;
    /**
     * Pieces of `splitSize` along `dim` (the last may be smaller), or of the listed sizes, as `tensor.split`.
     * @example x.split(2); x.split([1, 3], 1)
     */
    split(splitSize: number | readonly number[], dim?: number): Tensor[];
    /** `chunks` pieces of (nearly) equal size along `dim`. @example const [a, b] = z.chunk(2) */
    chunk(chunks: number, dim?: number): Tensor[];
    /** The slices along `dim`, without that dimension. @example const [x0, x1] = pair.unbind(0) */
    unbind(dim?: number): Tensor[];
    /** `length` elements from `start` along `dim` (a view). @example x.narrow(1, 0, 3) */
    narrow(dim: number, start: number, length: number): Tensor;
    /** The slice at `index` along `dim`, without that dimension (a view). @example x.select(1, 0) // x[:, 0] */
    select(dim: number, index: number): Tensor;
    /** Moves dimension(s) `source` to position(s) `destination`. @example x.movedim(1, -1) */
    movedim(source: Dims, destination: Dims): Tensor;
  }
}

const ops = {
  view: op('view'), reshape: op('reshape'), permute: op('permute'), transpose: op('transpose', 'int'), t: op('t'),
  squeeze: op('squeeze'), squeezeDim: op('squeeze', 'dim'), unsqueeze: op('unsqueeze'),
  expand: op('expand'), expandAs: op('expand_as'), flatten: op('flatten', 'using_ints'),
  unflatten: op('unflatten', 'int'), repeat: op('repeat'), tile: op('tile'), flip: op('flip'), roll: op('roll'),
  split: op('split', 'Tensor'), splitSizes: op('split_with_sizes'), chunk: op('chunk'), unbind: op('unbind', 'int'),
  narrow: op('narrow'), select: op('select', 'int'), movedim: op('movedim', 'int'), movedims: op('movedim', 'intlist'),
};

/** The sizes of a method that takes them as one array or as separate numbers. */
function sizesOf(args: IArguments): unknown {
  if (args.length === 1 && typeof args[0] !== 'number') return args[0];
  const sizes = new Array<unknown>(args.length);
  for (let i = 0; i < args.length; i++) sizes[i] = args[i];
  return sizes;
}

Tensor.prototype.view = function (this: Tensor, _shape: number | readonly number[]) {
  return ops.view.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.reshape = function (this: Tensor, _shape: number | readonly number[]) {
  return ops.reshape.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.permute = function (this: Tensor, _dims: number | readonly number[]) {
  return ops.permute.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.expand = function (this: Tensor, _sizes: number | readonly number[]) {
  return ops.expand.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.repeat = function (this: Tensor, _repeats: number | readonly number[]) {
  return ops.repeat.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.tile = function (this: Tensor, _dims: number | readonly number[]) {
  return ops.tile.tensor(this._h, sizesOf(arguments));
};
Tensor.prototype.transpose = function (this: Tensor, dim0: number, dim1: number) {
  return ops.transpose.tensor(this._h, dim0, dim1);
};
Tensor.prototype.t = function (this: Tensor) { return ops.t.tensor(this._h); };
Tensor.prototype.squeeze = function (this: Tensor, dim?: number) {
  return dim === undefined ? ops.squeeze.tensor(this._h) : ops.squeezeDim.tensor(this._h, dim);
};
Tensor.prototype.unsqueeze = function (this: Tensor, dim: number) { return ops.unsqueeze.tensor(this._h, dim); };
Tensor.prototype.expandAs = function (this: Tensor, other: Tensor) { return ops.expandAs.tensor(this._h, h(other)); };
Tensor.prototype.flatten = function (this: Tensor, startDim?: number, endDim?: number) {
  return ops.flatten.tensor(this._h, startDim, endDim);
};
Tensor.prototype.unflatten = function (this: Tensor, dim: number, sizes: readonly number[]) {
  return ops.unflatten.tensor(this._h, dim, sizes);
};
Tensor.prototype.flip = function (this: Tensor, dims: Dims) {
  return ops.flip.tensor(this._h, typeof dims === 'number' ? [dims] : dims);
};
Tensor.prototype.roll = function (this: Tensor, shifts: Dims, dims?: Dims) {
  return ops.roll.tensor(this._h, shifts, dims);
};
Tensor.prototype.split = function (this: Tensor, splitSize: number | readonly number[], dim?: number) {
  return typeof splitSize === 'number' ? ops.split.tensors(this._h, splitSize, dim)
    : ops.splitSizes.tensors(this._h, splitSize, dim);
};
Tensor.prototype.chunk = function (this: Tensor, chunks: number, dim?: number) {
  return ops.chunk.tensors(this._h, chunks, dim);
};
Tensor.prototype.unbind = function (this: Tensor, dim?: number) { return ops.unbind.tensors(this._h, dim); };
Tensor.prototype.narrow = function (this: Tensor, dim: number, start: number, length: number) {
  return ops.narrow.tensor(this._h, dim, start, length);
};
Tensor.prototype.select = function (this: Tensor, dim: number, index: number) {
  return ops.select.tensor(this._h, dim, index);
};
Tensor.prototype.movedim = function (this: Tensor, source: Dims, destination: Dims) {
  return typeof source === 'number' && typeof destination === 'number'
    ? ops.movedim.tensor(this._h, source, destination)
    : ops.movedims.tensor(this._h, typeof source === 'number' ? [source] : source,
      typeof destination === 'number' ? [destination] : destination);
};
