// The dataset `selfsup train <method>` trains on when --data is not given:
// Fashion-MNIST (embedded, gray) for every method that can learn from gray
// images, the photo crops (Debian's mate-backgrounds, colour) for those whose
// task is about colour and refuse gray data.
import { MethodName } from '../ssl/method';

/** Methods that need colour images: their task removes colour and learns to restore it. */
export const COLOUR_METHODS: readonly MethodName[] = Object.freeze(['colorization', 'split_brain', 'deoldify', 'damaged_jigsaw']);

/**
 * The default `--data` of `method`.
 * @example defaultData('colorization'); // 'photos'
 */
export function defaultData(method: MethodName): string {
  return COLOUR_METHODS.includes(method) ? 'photos' : 'fashion-mnist';
}
