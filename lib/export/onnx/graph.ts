// An ONNX graph under construction: nodes in topological order (each call
// appends after what it reads), weights as initializers, unique value names,
// and the ModelProto written with onnx-proto (ONNX's own schema compiled for
// protobufjs, so no field number is typed here).
import { onnx } from 'onnx-proto';
import { Tensor } from '../../torch';

/** An ONNX attribute value: ints, floats, int lists or a string. */
export type AttributeValue = number | readonly number[] | string | { float: number };

/** The opset the exporter writes (LayerNormalization is an ONNX op from 17 on). */
export const OPSET = 17;
/** IR version 8: what ONNX 1.12 to 1.13 (opset 17) writes. */
export const IR_VERSION = 8;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function attribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: A.STRING, s: Buffer.from(value, 'utf8') };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`ONNX attribute ${name}: write a float as { float: ${value} }`);
    return { name, type: A.INT, i: value };
  }
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  return { name, type: A.INTS, ints: [...value] };
}

/**
 * Collects nodes and initializers; `model()` returns the ModelProto bytes.
 *
 * @example
 * const g = new OnnxGraph();
 * const y = g.node('Relu', ['input']);
 * const bytes = g.model({ input: ['batch', 3], output: ['batch', 3], outputName: y });
 */
export class OnnxGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>(['input']);
  private counter = 0;

  /** A value name not used yet, from a readable stem. */
  fresh(stem: string): string {
    const base = stem.replace(/[^A-Za-z0-9_.]/g, '_') || 'v';
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Appends a node and returns the name of its (first) output. @example g.node('Add', [a, b]) */
  node(op: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}, outputs = 1, stem = op): string {
    const names = Array.from({ length: outputs }, () => this.fresh(stem));
    this.nodes.push({
      opType: op, input: [...inputs], output: names, name: this.fresh(`${stem}_node`),
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names[0];
  }

  /** Adds a float32 copy of `t` (any device and dtype) as an initializer. @example g.weight('fc.weight', fc.weight) */
  weight(stem: string, t: Tensor): string {
    const data = t.detach().to({ dtype: 'float32', device: 'cpu' }).contiguous();
    const bytes = data.toTypedArray() as Float32Array;
    if (data !== t) data.dispose();
    return this.raw(stem, FLOAT, t.shape, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** An int64 constant (shapes, axes, indices); `scalar` makes it 0-d. @example g.ints('shape', [0, 0, -1]) */
  ints(stem: string, values: readonly number[], scalar = false): string {
    const arr = BigInt64Array.from(values, (v) => BigInt(v));
    return this.raw(stem, INT64, scalar ? [] : [values.length], new Uint8Array(arr.buffer));
  }

  /** A float32 scalar constant. @example g.scalar('half', 0.5) */
  scalar(stem: string, value: number): string {
    const arr = Float32Array.of(value);
    return this.raw(stem, FLOAT, [], new Uint8Array(arr.buffer));
  }

  private raw(stem: string, dataType: number, dims: readonly number[], rawData: Uint8Array): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dataType, dims: [...dims], rawData });
    return name;
  }

  /**
   * The serialized ModelProto: one float32 input named `input`, one output;
   * dimensions given as strings are symbolic (the dynamic batch axis).
   */
  model(io: { input: readonly (number | string)[]; output: readonly (number | string)[]; outputName: string;
    docString?: string }): Uint8Array {
    const valueInfo = (name: string, dims: readonly (number | string)[]): onnx.IValueInfoProto => ({
      name,
      type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
    });
    // The graph's output must be a named value that a node produces: alias it.
    const output = this.node('Identity', [io.outputName], {}, 1, 'output');
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'selfsup',
      docString: io.docString ?? '',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'selfsup_encoder',
        node: this.nodes,
        initializer: this.initializers,
        input: [valueInfo('input', io.input)],
        output: [valueInfo(output, io.output)],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
