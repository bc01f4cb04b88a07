// torch.distributed: c10d process groups and collectives (docs/distributed.md).
export {
  initProcessGroup, destroyProcessGroup, isInitialized, isAvailable, isBackendAvailable, getRank, getWorldSize, getBackend,
} from './process-group';
export {
  allReduce, broadcast, allGather, reduceScatter, barrier, allGatherWithGrad,
  ReduceOp, CollectiveOptions, AllReduceOptions, BroadcastOptions,
} from './collectives';
export { InitProcessGroupOptions, resolveRendezvous, DEFAULT_TIMEOUT_MS } from './rendezvous';
export { localRank, localWorldSize } from './env';
export { collectiveDevice, toCollectiveDevice } from './collective-device';
export { Reducer, ReducerOptions, broadcastCoalesced } from './reducer';
export { DistributedSampler, DistributedSamplerOptions } from './sampler';
