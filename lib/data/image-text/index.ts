// Image-text pairs for CLIP.
export * from './fashion-captions';
