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

type Reader = typeof import('hyparquet');

/** hyparquet (the reader by hyparquet-writer's authors), loaded on first use for the same reason as the writer. */
function reader(): Reader {
  try {
    return require('hyparquet') as Reader;
  } catch (err) {
    throw new Error(`Reading Parquet needs the hyparquet package, an ES module that Node ${process.version} could not ` +
      `load (${(err as Error).message}); use Node >= 20.19, or embed again into .safetensors or .npy`);
  }
}

/** The columns `encodeEmbeddingsParquet` writes that a reader needs (class and file are optional). */
const NEEDED = ['id', 'label', 'embedding'] as const;

/**
 * Reads the bytes of a Parquet embedding file back (the inverse of
 * `encodeEmbeddingsParquet`; other writers' files with the columns `id`,
 * `label` and `embedding` read too). Throws naming `source` when the bytes
 * are not Parquet, a column is missing or the rows' embeddings differ in length.
 *
 * @example const e = await decodeEmbeddingsParquet(fs.readFileSync('test.parquet'), 'test.parquet'); // e.dim
 */
export async function decodeEmbeddingsParquet(bytes: Uint8Array, source = '<buffer>'): Promise<ParquetEmbeddings> {
  const r = reader();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let meta: ReturnType<Reader['parquetMetadata']>;
  try {
    meta = r.parquetMetadata(file);
  } catch (err) {
    throw new Error(`'${source}' is not a Parquet file: ${(err as Error).message}`);
  }
  const top = r.parquetSchema(meta).children.map((c) => c.element.name);
  const missing = NEEDED.filter((c) => !top.includes(c));
  if (missing.length > 0) {
    throw new Error(`'${source}' is not an embedding file: expected the columns id, label and embedding but it has ` +
      `${top.join(', ') || 'none'}`);
  }
  const columns = ['id', 'label', 'class', 'file', 'embedding'].filter((c) => top.includes(c));
  const rows = await r.parquetReadObjects({ file, metadata: meta, columns });
  const n = rows.length;
  const dim = n > 0 ? (rows[0].embedding as ArrayLike<number>).length : 0;
  const embeddings = new Float32Array(n * dim);
  const ids = new BigInt64Array(n);
  const labels = new BigInt64Array(n);
  const classes: string[] = [];
  rows.forEach((row, i) => {
    const e = row.embedding as ArrayLike<number> | null;
    if (e === null || e.length !== dim) {
      throw new Error(`'${source}': row ${i} has ${e?.length ?? 0} embedding values, row 0 has ${dim}`);
    }
    embeddings.set(e, i * dim);
    ids[i] = BigInt(row.id as bigint | number);
    labels[i] = BigInt(row.label as bigint | number);
    // The class column names each label: the class list back, as the metadata's `classes` holds it.
    if (labels[i] >= 0n && typeof row.class === 'string') classes[Number(labels[i])] ??= row.class;
  });
  const metadata = Object.fromEntries((meta.key_value_metadata ?? []).map((kv) => [kv.key, kv.value ?? '']));
  const files = columns.includes('file') ? rows.map((row) => (typeof row.file === 'string' ? row.file : null)) : undefined;
  return { embeddings, dim, labels, ids, classes: Array.from(classes, (c, i) => c ?? String(i)), files, metadata };
}
