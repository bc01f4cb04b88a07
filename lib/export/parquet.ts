// Embedding files as Parquet: one row per image, with its id, label, class
// name, file name and embedding (a list of float32), written by
// hyparquet-writer (see docs/export.md for the choice). pandas, pyarrow,
// DuckDB, Polars and Spark read it as a table.

type Writer = typeof import('hyparquet-writer');

/**
 * hyparquet-writer, loaded on first use: it is an ES module, which `require`
 * loads from Node 20.19 / 22.12 on; loading it lazily keeps the rest of the
 * package usable on older Node versions, where only Parquet output fails.
 */
function writer(): Writer {
  try {
    return require('hyparquet-writer') as Writer;
  } catch (err) {
    throw new Error(`Parquet output needs the hyparquet-writer package, an ES module that Node ${process.version} ` +
      `could not load (${(err as Error).message}); use Node >= 20.19, or write .safetensors or .npy`);
  }
}

/** What one Parquet embedding file holds, as plain arrays. */
export interface ParquetEmbeddings {
  /** Row-major (N, D) float32 values. */
  embeddings: Float32Array;
  dim: number;
  /** int64 (N): class indices, -1 when unlabelled. */
  labels: BigInt64Array;
  /** int64 (N): positions in the dataset split. */
  ids: BigInt64Array;
  /** Class names, indexed by label. */
  classes?: readonly string[];
  /** File of each row, relative to the image folder (null where the data has no files). */
  files?: readonly (string | null)[];
  /** Key-value metadata of the file footer (dataset, encoder, ...). */
  metadata: Record<string, string>;
}

/**
 * The bytes of a Parquet file with columns `id` (int64), `label` (int64),
 * `class` (string, null when unlabelled), `file` (string, null when the data
 * has no file names) and `embedding` (list<float32>, D values per row); the
 * metadata in the footer's key-value pairs.
 *
 * @example
 * const bytes = encodeEmbeddingsParquet({ embeddings, dim: 64, labels, ids, metadata: { dataset: 'fashion-mnist' } });
 * // python: pandas.read_parquet('e.parquet')
 */
export function encodeEmbeddingsParquet(e: ParquetEmbeddings): Uint8Array {
  const n = e.ids.length;
  if (e.labels.length !== n || e.embeddings.length !== n * e.dim || (e.files !== undefined && e.files.length !== n)) {
    throw new RangeError(`Expected ${n} labels, ${n} files and ${n} x ${e.dim} embedding values for a Parquet embedding ` +
      `file but received ${e.labels.length}, ${e.files?.length ?? n} and ${e.embeddings.length}`);
  }
  const rows = Array.from({ length: n }, (_, i) => Array.from(e.embeddings.subarray(i * e.dim, (i + 1) * e.dim)));
  const className = (l: bigint): string | null => (l < 0n ? null : e.classes?.[Number(l)] ?? String(l));
  const buffer = writer().parquetWriteBuffer({
    columnData: [
      { name: 'id', data: e.ids },
      { name: 'label', data: e.labels },
      { name: 'class', data: Array.from(e.labels, className) },
      { name: 'file', data: e.files === undefined ? new Array<null>(n).fill(null) : [...e.files] },
      { name: 'embedding', data: rows },
    ],
    schema: [
      { name: 'root', num_children: 5 },
      { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'label', type: 'INT64', repetition_type: 'REQUIRED' },
      { name: 'class', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      { name: 'file', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
      // NOTE: the three-level LIST layout of the Parquet spec (LogicalTypes.md), which pyarrow writes for list<float>.
      { name: 'embedding', repetition_type: 'REQUIRED', num_children: 1, converted_type: 'LIST' },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
    ],
    kvMetadata: Object.entries(e.metadata).map(([key, value]) => ({ key, value })),
  });
  return new Uint8Array(buffer);
}
