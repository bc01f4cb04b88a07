// The methods by name, for the command line and for rebuilding a run's method
// from its config.json.
import { Method, MethodName } from './method';
import { SimCLR, SimCLROptions } from './simclr';
import { BYOL, BYOLOptions } from './byol';
import { DINO, DINOOptions } from './dino';
import { MAE, MAEOptions } from './mae';
import { SimSiam, SimSiamOptions } from './simsiam';
import { BarlowTwins, BarlowTwinsOptions } from './barlow-twins';
import { VICReg, VICRegOptions } from './vicreg';
import { MoCoV2, MoCoV2Options } from './moco-v2';
import { MoCoV3, MoCoV3Options } from './moco-v3';
import { SwAV, SwAVOptions } from './swav';
import { DeepClusterV2, DeepClusterV2Options } from './deepcluster-v2';
import { Rotation, RotationOptions } from './rotation';
import { Jigsaw, JigsawOptions } from './jigsaw';
import { RelativePosition, RelativePositionOptions } from './relative-position';
import { Colorization, ColorizationOptions } from './colorization';
import { SplitBrain, SplitBrainOptions } from './split-brain';
import { DeOldify, DeOldifyOptions } from './deoldify';
import { ContextEncoder, ContextEncoderOptions } from './context-encoder';
import { DamagedJigsaw, DamagedJigsawOptions } from './damaged-jigsaw';

/** The options of each method, by name. */
export interface MethodOptionsOf {
  simclr: SimCLROptions;
  byol: BYOLOptions;
  dino: DINOOptions;
  mae: MAEOptions;
  simsiam: SimSiamOptions;
  barlow_twins: BarlowTwinsOptions;
  vicreg: VICRegOptions;
  mocov2: MoCoV2Options;
  mocov3: MoCoV3Options;
  swav: SwAVOptions;
  deepclusterv2: DeepClusterV2Options;
  rotation: RotationOptions;
  jigsaw: JigsawOptions;
  relative_position: RelativePositionOptions;
  colorization: ColorizationOptions;
  split_brain: SplitBrainOptions;
  deoldify: DeOldifyOptions;
  context_encoder: ContextEncoderOptions;
  damaged_jigsaw: DamagedJigsawOptions;
}

const METHODS: { [N in MethodName]: (options: MethodOptionsOf[N]) => Method } = {
  simclr: (o) => new SimCLR(o),
  byol: (o) => new BYOL(o),
  dino: (o) => new DINO(o),
  mae: (o) => new MAE(o),
  simsiam: (o) => new SimSiam(o),
  barlow_twins: (o) => new BarlowTwins(o),
  vicreg: (o) => new VICReg(o),
  mocov2: (o) => new MoCoV2(o),
  mocov3: (o) => new MoCoV3(o),
  swav: (o) => new SwAV(o),
  deepclusterv2: (o) => new DeepClusterV2(o),
  rotation: (o) => new Rotation(o),
  jigsaw: (o) => new Jigsaw(o),
  relative_position: (o) => new RelativePosition(o),
  colorization: (o) => new Colorization(o),
  split_brain: (o) => new SplitBrain(o),
  deoldify: (o) => new DeOldify(o),
  context_encoder: (o) => new ContextEncoder(o),
  damaged_jigsaw: (o) => new DamagedJigsaw(o),
};

/**
 * Builds a method by name; `options` are its constructor's (a method's
 * `config()` is accepted, so `create(name, method.config())` rebuilds it).
 *
 * @example
 * const method = ssl.create('simclr', { encoder: 'small_cnn', encoderOptions: { inChannels: 1 } });
 */
export function create<N extends MethodName>(name: N, options: MethodOptionsOf[N]): Method {
  if (!Object.prototype.hasOwnProperty.call(METHODS, name)) {
    throw new RangeError(`Unknown method '${String(name)}'; expected one of ${list().map((n) => `'${n}'`).join(', ')}`);
  }
  return (METHODS[name] as (o: MethodOptionsOf[N]) => Method)(options);
}

/**
 * The method names, in the order the README presents them.
 * @example ssl.list(); // ['simclr', 'byol', 'dino', 'mae']
 */
export function list(): MethodName[] {
  return Object.keys(METHODS) as MethodName[];
}
