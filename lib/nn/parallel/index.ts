// nn.parallel: data-parallel training over torch.distributed (docs/distributed.md).
export { DistributedDataParallel, DistributedDataParallelOptions, ForwardModule } from './distributed';
export { SyncBatchNorm } from './sync-batch-norm';
