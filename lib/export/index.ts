// Using what was learned outside training: embedding files, the vector index
// ONNX export and TensorBoard event files.
export { Embeddings, EMBEDDING_EXTENSIONS, npySiblings, readEmbeddings, readEmbeddingsAsync, writeEmbeddings } from './embeddings-file';
export { decodeNpy, encodeNpy, NpyData, NpyDtype } from './npy';
export { exactCosineTopK, Neighbors, recallAtK, VectorIndex, VectorIndexOptions } from './vector-index';
export { exportOnnx, OnnxExportInfo, toOnnx } from './onnx/export';
export { Converter, EmitContext, registerConverter } from './onnx/emit';
export { histogramOf, readJsonLines, RunEventsInfo, RunEventsOptions, writeRunEvents } from './tensorboard/run-events';
export { maskedCrc32c, tfRecord } from './tensorboard/tfrecord';
export { decodeEmbeddingsParquet, encodeEmbeddingsParquet, ParquetEmbeddings } from './parquet';
export { decodeQueryImage } from './query-image';
