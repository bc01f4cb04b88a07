// Where the library's own collectives put their tensors. Gloo takes CPU
// tensors; NCCL takes only CUDA tensors, on the rank's own GPU (LOCAL_RANK,
// as torchrun sets it). The glue that gathers or reduces host values (the
// ranks' losses and stop requests, generator states, sharded features, the
// k-NN monitor's hits, DeepCluster v2's assignments) moves them there and back,
// so the same code runs on both backends. A user's own collectives get no such
// move: as with torch.distributed, their tensors must be on the backend's
// device.
import { Device } from '../dtype';
import { Tensor } from '../tensor';
import { getBackend } from './process-group';
import { localRank } from './env';

/**
 * The device a backend's collectives take tensors on: 'cpu' for Gloo,
 * `cuda:<LOCAL_RANK>` for NCCL.
 *
 * @example collectiveDevice('nccl', { LOCAL_RANK: '1' }); // 'cuda:1'
 */
export function collectiveDevice(backend: 'gloo' | 'nccl' = getBackend(), env: NodeJS.ProcessEnv = process.env): Device {
  return backend === 'nccl' ? `cuda:${localRank(env)}` : 'cpu';
}

/**
 * `t` on the default group's collective device: `t` itself when it is
 * already there, else a copy (the caller disposes of it, or runs in a scope).
 *
 * @example const onDevice = toCollectiveDevice(torch.tensor([loss], { dtype: 'float64' }));
 */
export function toCollectiveDevice(t: Tensor, device: Device = collectiveDevice()): Tensor {
  return t.device === device ? t : t.to(device); // tensors report 'cuda:<index>', as collectiveDevice does
}
