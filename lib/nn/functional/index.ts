// nn.functional: neural-network operators as functions, as `torch.nn.functional`.
export * from './activation';
export * from './attention';
export * from './conv';
export * from './dropout';
export * from './embedding';
export * from './linear';
export * from './loss';
export * from './normalization';
export * from './pooling';
export * from './sampling';
export * from './similarity';
