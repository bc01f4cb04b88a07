// The addon's distributed functions (native/distributed.cc and
// distributed_autograd.cc), typed. Only lib/torch/distributed and
// lib/nn/parallel use them.
import { Handle, native } from '../native';

/** An opaque c10d process group (an N-API External). */
export type GroupHandle = { readonly __group: unique symbol };
/** An opaque c10d DDP Reducer (an N-API External). */
export type ReducerHandle = { readonly __reducer: unique symbol };

/** What `distInit` takes: the store (rendezvous) and the backend. */
export interface NativeInitOptions {
  backend: string;
  store: 'tcp' | 'file';
  host?: string;
  port?: number;
  /** 1 on the rank that hosts the TCPStore (rank 0), as torch.distributed. */
  isServer?: number;
  /**
   * The TCPStore's libuv server (libtorch 2.x): 1 or 0 as the `use_libuv` query or
   * USE_LIBUV said, -1 when neither did (libuv where the build has it).
   */
  useLibuv?: number;
  path?: string;
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

export interface DistributedAddon {
  distInit(options: NativeInitOptions): Promise<GroupHandle>;
  distDestroy(group: GroupHandle): void;
  distInfo(group: GroupHandle): { backend: string; rank: number; worldSize: number; destroyed: boolean };
  distBackends(): string[];
  distAllReduce(group: GroupHandle, tensors: Handle[], op: string, timeoutMs: number): Promise<void>;
  distBroadcast(group: GroupHandle, tensors: Handle[], src: number, timeoutMs: number): Promise<void>;
  distAllGather(group: GroupHandle, tensor: Handle, timeoutMs: number): Promise<Handle[]>;
  distBarrier(group: GroupHandle, timeoutMs: number): Promise<void>;
  distBroadcastCoalesced(group: GroupHandle, tensors: Handle[], src: number, bufferBytes: number): void;
  distAllGatherWithGrad(group: GroupHandle, tensor: Handle): Handle;
  distReducerCreate(group: GroupHandle, params: Handle[], bucketBytes: number, firstBucketBytes: number,
    findUnusedParameters: boolean, gradientAsBucketView: boolean): ReducerHandle;
  distReducerPrepareForward(reducer: ReducerHandle): boolean;
  distReducerPrepareForBackward(reducer: ReducerHandle, outputs: Handle[]): void;
  distReducerDestroy(reducer: ReducerHandle): void;
}

/** The loaded addon, seen through its distributed functions. */
export const dist = native as unknown as DistributedAddon;
