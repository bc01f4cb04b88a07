// nn: neural-network building blocks. `functional` holds the stateless operators.
export * as functional from './functional';
export { Module, StateDict, LoadResult, ModuleToOptions } from './module';
