// Tensor methods that change dtype, device, layout or autograd identity.
import { Tensor } from '../tensor';
import { checkDevice, checkDtype, Device, DType, isDevice, MemoryFormat } from '../dtype';
import { op } from '../op';
import { captureInProgress, checkHostCopy } from '../capture-state';

/** Options of `Tensor.to`, as PyTorch's keyword arguments. */
export interface ToOptions {
  dtype?: DType;
  device?: Device;
  /** Return a new tensor even when nothing changes. */
  copy?: boolean;
  /** Copy to/from pinned memory asynchronously (CUDA). */
  nonBlocking?: boolean;
  memoryFormat?: MemoryFormat;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * This tensor with another dtype and/or on another device, as `tensor.to`.
     * Returns a tensor sharing this one's data when nothing changes.
     * @example x.to('float64'); x.to('cuda'); x.to({ device: 'cuda', dtype: 'bfloat16', nonBlocking: true })
     */
    to(target: DType | Device | ToOptions): Tensor;
    /** `to('cpu')`. */
    cpu(): Tensor;
    /** `to('cuda')` (or 'cuda:N'). */
    cuda(index?: number): Tensor;
    /** `to('float32')`. */
    float(): Tensor;
    /** `to('float64')`. */
    double(): Tensor;
    /** `to('float16')`. */
    half(): Tensor;
    /** `to('bfloat16')`. */
    bfloat16(): Tensor;
    /** `to('int64')`. */
    long(): Tensor;
    /** `to('int32')`. */
    int(): Tensor;
    /** `to('bool')`. */
    bool(): Tensor;
    /** `to('uint8')`. */
    byte(): Tensor;
    /** A tensor sharing this data but cut from the autograd graph, as `tensor.detach()`. */
    detach(): Tensor;
    /** Cuts this tensor from the autograd graph in place. */
    detach_(): this;
    /** A copy with its own memory (recorded by autograd), as `tensor.clone()`. */
    clone(options?: { memoryFormat?: MemoryFormat }): Tensor;
    /** This tensor with dense row-major (or the given) layout; itself if already so. */
    contiguous(memoryFormat?: MemoryFormat): Tensor;
    /** Copies `src` into this tensor in place (broadcasting), as `tensor.copy_`. */
    copy_(src: Tensor, nonBlocking?: boolean): this;
  }
}

const ops = {
  toDtypeLayout: op('to', 'dtype_layout'),
  toDtype: op('to', 'dtype'),
  detach: op('detach'),
  detach_: op('detach_'),
  clone: op('clone'),
  contiguous: op('contiguous'),
  copy_: op('copy_'),
};

Tensor.prototype.to = function (this: Tensor, target: DType | Device | ToOptions): Tensor {
  if (captureInProgress() !== null) checkCaptureCopy(this, target);
  if (typeof target === 'string') {
    if (isDevice(target)) {
      return ops.toDtypeLayout.tensor(this._h, undefined, undefined, target);
    }
    return ops.toDtype.tensor(this._h, checkDtype(target, 'to(target)'));
  }
  if (target === null || typeof target !== 'object') {
    throw new TypeError(`Expected a dtype, a device or an options object for to() but received ${String(target)}`);
  }
  const dtype = target.dtype === undefined ? undefined : checkDtype(target.dtype, 'options.dtype');
  const device = target.device === undefined ? undefined : checkDevice(target.device, 'options.device');
  // NOTE: nonBlocking and copy default to the schema's (false): undefined reaches the addon as "absent".
  return ops.toDtypeLayout.tensor(this._h, dtype, undefined, device, undefined, target.nonBlocking,
    target.copy, target.memoryFormat);
};

/** During a capture: refuses a copy from a CPU tensor to the GPU (see capture-state.ts). */
function checkCaptureCopy(t: Tensor, target: DType | Device | ToOptions): void {
  const device = typeof target === 'string' ? (isDevice(target) ? target : undefined) : target?.device;
  if (device !== undefined && device !== 'cpu' && t.device === 'cpu') checkHostCopy(`to('${device}')`);
}

Tensor.prototype.cpu = function (this: Tensor) { return this.to('cpu'); };
Tensor.prototype.cuda = function (this: Tensor, index?: number) {
  return this.to(index === undefined ? 'cuda' : `cuda:${index}`);
};
Tensor.prototype.float = function (this: Tensor) { return this.to('float32'); };
Tensor.prototype.double = function (this: Tensor) { return this.to('float64'); };
Tensor.prototype.half = function (this: Tensor) { return this.to('float16'); };
Tensor.prototype.bfloat16 = function (this: Tensor) { return this.to('bfloat16'); };
Tensor.prototype.long = function (this: Tensor) { return this.to('int64'); };
Tensor.prototype.int = function (this: Tensor) { return this.to('int32'); };
Tensor.prototype.bool = function (this: Tensor) { return this.to('bool'); };
Tensor.prototype.byte = function (this: Tensor) { return this.to('uint8'); };
Tensor.prototype.detach = function (this: Tensor) { return ops.detach.tensor(this._h); };
Tensor.prototype.detach_ = function <T extends Tensor>(this: T): T {
  ops.detach_.raw(this._h);
  return this;
};
Tensor.prototype.clone = function (this: Tensor, options: { memoryFormat?: MemoryFormat } = {}) {
  return ops.clone.tensor(this._h, options.memoryFormat);
};
Tensor.prototype.contiguous = function (this: Tensor, memoryFormat: MemoryFormat = 'contiguous_format') {
  return ops.contiguous.tensor(this._h, memoryFormat);
};
Tensor.prototype.copy_ = function <T extends Tensor>(this: T, src: Tensor, nonBlocking = false): T {
  if (captureInProgress() !== null && src instanceof Tensor && src.device === 'cpu' && this.device !== 'cpu') {
    checkHostCopy('copy_(cpuTensor)');
  }
  ops.copy_.raw(this._h, src instanceof Tensor ? src._h : src, nonBlocking);
  return this;
};
