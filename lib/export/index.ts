// Using what was learned outside training: embedding files, the vector index
// (and, as they land, ONNX export and TensorBoard event files).
export { Embeddings, EMBEDDING_EXTENSIONS, npySiblings, readEmbeddings, writeEmbeddings } from './embeddings-file';
export { decodeNpy, encodeNpy, NpyData, NpyDtype } from './npy';
export { exactCosineTopK, Neighbors, recallAtK, VectorIndex, VectorIndexOptions } from './vector-index';
