// `selfsup export`: a trained encoder as an ONNX model for ONNX Runtime.
import { Command } from 'commander';
import * as torch from '../torch';
import { disposeDataset } from '../data/dataset';
import { exportOnnx, OnnxExportInfo } from '../export/onnx/export';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { loadEncoder, runOf } from './load-encoder';
import { jsonArg } from './option-parsers';

/** Options of `runExport`. */
export interface ExportCommandOptions {
  /** The ONNX file to write. */
  onnx: string;
  /** Input (C, H, W); default the shape of the run's (or --data's) images. */
  shape?: readonly number[];
  data?: string;
  encoder?: string;
  encoderOptions?: Record<string, unknown>;
  log?: (line: string) => void;
}

/** Parses `C,H,W`. @example parseShape('3,32,32') // [3, 32, 32] */
export function parseShape(value: string): number[] {
  const dims = value.split(',').map((s) => Number(s.trim()));
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`Expected C,H,W (three positive integers) for --shape but received '${value}'`);
  }
  return dims;
}

async function imageShape(target: string, o: ExportCommandOptions): Promise<number[]> {
  if (o.shape !== undefined) return [...o.shape];
  const { run } = runOf(target);
  const dataArg = o.data ?? run?.data;
  if (dataArg === undefined) throw new Error('Give the input shape with --shape C,H,W (or the dataset with --data)');
  const spec = parseDataSpec(dataArg);
  const ds = await loadDataSplit(spec, spec.kind === 'folder' ? 'train' : 'test', run?.imageSize);
  if (ds === undefined) throw new Error(`--data ${dataArg} has no images to take the input shape from: use --shape C,H,W`);
  const shape = ds.images.shape.slice(1);
  disposeDataset(ds);
  return shape;
}

/**
 * Exports the encoder of a run folder, checkpoint or safetensors file as ONNX
 * (opset 17, dynamic batch axis; see exportOnnx).
 *
 * @example await runExport('runs/simclr-20261204-101500', { onnx: 'encoder.onnx' });
 */
export async function runExport(target: string, o: ExportCommandOptions): Promise<OnnxExportInfo> {
  const shape = await imageShape(target, o);
  const { encoder, name } = loadEncoder(target, [1, ...shape], o);
  const example = torch.zeros([1, ...shape]);
  try {
    const info = exportOnnx(encoder, example, o.onnx);
    (o.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(
      `Wrote ${o.onnx}: ${name}, input (batch, ${shape.join(', ')}) -> output (${info.outputShape.join(', ')}), ` +
      `opset ${info.opset}, ${info.nodes} nodes, ${(info.bytes / 1e6).toFixed(1)} MB`);
    return info;
  } finally {
    example.dispose();
    encoder.dispose();
  }
}

/**
 * Registers `selfsup export <target> --onnx <file>`.
 * @example registerExport(new Command('selfsup'));
 */
export function registerExport(program: Command): void {
  program.command('export')
    .description('Export a trained encoder as ONNX (opset 17, dynamic batch axis) for ONNX Runtime')
    .argument('<target>', 'run folder, checkpoint (.json or .safetensors) or encoder .safetensors')
    .requiredOption('--onnx <file>', 'the .onnx file to write')
    .option('--shape <C,H,W>', 'input image shape (default: the run\'s data)', parseShape)
    .option('--data <spec>', 'dataset whose image shape to use')
    .option('--encoder <name>', 'architecture of a bare safetensors file')
    .option('--encoder-options <json>', 'its options as JSON', jsonArg('--encoder-options'))
    .action(async (target: string, f: ExportCommandOptions) => {
      await runExport(target, f);
    });
}
