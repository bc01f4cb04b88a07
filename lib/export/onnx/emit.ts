// The converter registry: one function per module class that appends the
// ONNX nodes computing that module's forward (in eval mode) and returns the
// name of its output. Module classes without one are refused by name.
import { Module } from '../../nn';
import { OnnxGraph } from './graph';

/** What a converter sees besides its module and input. */
export interface EmitContext {
  graph: OnnxGraph;
  /** The example input's shape (B, C, H, W): what fixes ViT position embeddings. */
  inputShape: readonly number[];
  /** Converts a submodule (dispatching on its class). */
  emit(module: Module, input: string): string;
  /** The module's state-dict path, for names and messages ('' is the root). */
  pathOf(module: Module): string;
}

/** A converter for one module class. */
export type Converter<M extends Module = Module> = (module: M, input: string, ctx: EmitContext) => string;

type AnyClass = abstract new (...args: never[]) => Module;

const converters: { cls: AnyClass; fn: Converter }[] = [];

/**
 * Registers the converter of a module class (later registrations of a
 * subclass win, as they are looked up newest first).
 *
 * @example registerConverter(ReLU, (m, x, ctx) => ctx.graph.node('Relu', [x]));
 */
export function registerConverter<M extends Module>(cls: abstract new (...args: never[]) => M, fn: Converter<M>): void {
  converters.unshift({ cls, fn: fn as Converter });
}

/** The converter of a module, or undefined. */
export function converterOf(module: Module): Converter | undefined {
  return converters.find(({ cls }) => module instanceof cls)?.fn;
}

/** Names of the module classes with a converter, for error messages. */
export function convertibleClasses(): string[] {
  return [...new Set(converters.map(({ cls }) => cls.name))].sort();
}
