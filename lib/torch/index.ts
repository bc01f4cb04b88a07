// The torch namespace: tensors, operators, autograd, memory, devices.
import './methods';

export { Tensor, NestedArray } from './tensor';
export { DType, Device, MemoryFormat, AnyTypedArray } from './dtype';
export {
  tensor, zeros, ones, empty, full, arange, linspace, eye, rand, randn, randint, randperm,
  zerosLike, onesLike, emptyLike, fullLike, randLike, randnLike, randintLike,
  CreationOptions, RandomOptions, NestedInput,
} from './creation';
export { scope, keep } from './scope';
export { ops, listOps, isTensor, OpOverload, OpPacket } from './ops';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './autograd';
export * as autograd from './autograd';
export { autocast, isAutocastEnabled } from './autocast';
export * as cuda from './cuda';
export { backends, setFloat32MatmulPrecision, getFloat32MatmulPrecision, withBackends, setBackends, backendState, Float32MatmulPrecision, BackendState } from './backends';
export { catchWarnings, TorchWarning } from './warnings';
export { memory, MemoryReport } from './memory';
export { DeviceScalar, DeviceScalars } from './device-scalar';
export { manualSeed, Generator, getRngState, setRngState } from './random';
export { ToOptions } from './methods/conversion';
export * from './functions';
export { config, getNumThreads, setNumThreads } from './config';
export { threadSetting, availableCores, ompWaitPolicy, ThreadSetting, ThreadSource, WaitPolicy } from './threads';
export { hostMalloc, HostMallocSetting, HostMallocSource } from './host-malloc';
export {
  saveSafetensors, saveSafetensorsAsync, serializeSafetensors, loadSafetensors, loadSafetensorsAsync,
  parseSafetensors, readSafetensorsHeader, readSafetensorsMetadata, MAX_HEADER_BYTES,
  TensorDict, LoadSafetensorsOptions, SafetensorsHeader, SafetensorsTensorInfo, SafetensorsDtype,
} from './safetensors';
export { writeFileAtomic, writeFileAtomicAsync, AtomicData, AtomicDataAsync, WriteFileAtomicOptions } from './atomic-file';
export * as distributed from './distributed';
export * as profiler from './profiler';
