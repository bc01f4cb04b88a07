// `exportOnnx`: an encoder as an ONNX model (opset 17, a dynamic batch axis,
// weights as initializers) that ONNX Runtime runs without libtorch.
import { Module } from '../../nn';
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { writeFileAtomic } from '../../torch/atomic-file';
import { convertibleClasses, converterOf, EmitContext } from './emit';
import { OnnxGraph } from './graph';
import './layers';
import './models';

/** What `exportOnnx` wrote. */
export interface OnnxExportInfo {
  file: string;
  bytes: number;
  /** The model's input: `input`, float32 (batch, C, H, W). */
  inputShape: (number | string)[];
  /** Its output: float32 (batch, D). */
  outputShape: (number | string)[];
  /** ONNX nodes in the graph. */
  nodes: number;
  opset: number;
}

/** Modules forward-callable on a tensor. */
type Forwardable = Module & { forward(x: Tensor): Tensor };

/**
 * Converts `module` (in eval mode) to ONNX bytes for inputs shaped like
 * `exampleInput` (B, C, H, W); the batch axis stays dynamic. Throws naming
 * the module path and class of any layer without a converter.
 *
 * @example const bytes = toOnnx(models.create('small_cnn', { inChannels: 1 }), torch.zeros([1, 1, 28, 28])).bytes;
 */
export function toOnnx(module: Forwardable, exampleInput: Tensor): { bytes: Uint8Array; info: Omit<OnnxExportInfo, 'file' | 'bytes'> } {
  if (!(module instanceof Module) || typeof module.forward !== 'function') {
    throw new TypeError(`Expected a Module with forward for exportOnnx but received ${String(module)}`);
  }
  if (!(exampleInput instanceof Tensor) || exampleInput.dim() !== 4) {
    throw new TypeError('Expected an example input of shape (B, C, H, W) for exportOnnx but received ' +
      (exampleInput instanceof Tensor ? `shape [${exampleInput.shape.join(', ')}]` : String(exampleInput)));
  }
  const paths = new Map<Module, string>();
  for (const [name, m] of module.namedModules()) if (!paths.has(m)) paths.set(m, name);
  const graph = new OnnxGraph();
  const modes = [...module.modules()].map((m) => [m, m.training] as const);
  module.eval();
  try {
    const ctx: EmitContext = {
      graph,
      inputShape: exampleInput.shape,
      pathOf: (m) => paths.get(m) ?? '?',
      emit(m, input) {
        const convert = converterOf(m);
        if (convert === undefined) {
          throw new Error(`ONNX export: no converter for module '${paths.get(m) || '(root)'}' (${m.constructor.name}); ` +
            `the exporter writes ${convertibleClasses().join(', ')}`);
        }
        return convert(m, input, ctx);
      },
    };
    const out = ctx.emit(module, 'input');
    // The output's width, from one forward of the example (which also checks that the module runs on it).
    const featureShape = torch.scope(() => torch.noGrad(() => module.forward(exampleInput.narrow(0, 0, 1)).shape));
    const [, C, H, W] = exampleInput.shape;
    const inputShape: (number | string)[] = ['batch', C, H, W];
    const outputShape: (number | string)[] = ['batch', ...featureShape.slice(1)];
    const bytes = graph.model({ input: inputShape, output: outputShape, outputName: out,
      docString: `${module.constructor.name} exported by selfsup` });
    return { bytes, info: { inputShape, outputShape, nodes: graph.nodes.length, opset: 17 } };
  } finally {
    for (const [m, training] of modes) m.training = training;
  }
}

/**
 * Writes `module` as an ONNX file (atomically): input `input` float32
 * (batch, C, H, W), output `output` float32 (batch, D), opset 17, the
 * weights as initializers. The registry's encoders (small_cnn, ResNets, ViTs
 * with their attention as MatMul/Softmax) are supported; a layer without a
 * converter is refused with its path and class. A ViT keeps the example
 * input's image size (its position embedding is resampled for it).
 *
 * @example
 * const enc = models.create('resnet18', { smallImages: true, numClasses: 0 });
 * exportOnnx(enc, torch.zeros([1, 3, 32, 32]), 'encoder.onnx');
 * // onnxruntime-node: (await InferenceSession.create('encoder.onnx')).run({ input })
 */
export function exportOnnx(module: Forwardable, exampleInput: Tensor, file: string): OnnxExportInfo {
  // The trace's tensors (weights read out, the example's activations) are freed here: only bytes leave.
  const { bytes, info } = torch.scope(() => toOnnx(module, exampleInput));
  writeFileAtomic(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { file, bytes: bytes.byteLength, ...info };
}
