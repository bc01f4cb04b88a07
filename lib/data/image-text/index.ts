// Image-text pairs for CLIP.
export * from './fashion-captions';
export * from './caption-file';
export * from './caption-batches';
export * from './scenes';
