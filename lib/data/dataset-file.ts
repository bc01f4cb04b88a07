// Reading a dataset's files whole, with errors that name the file and its format.
import * as fs from 'node:fs';

/**
 * The bytes of a dataset file; a missing or unreadable file throws an Error
 * that names it and its `format` ('IDX', 'CIFAR').
 * @example const buf = readDatasetFile('/data/cifar-10-batches-bin/test_batch.bin', 'CIFAR');
 */
export function readDatasetFile(file: string, format: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${format} file ${file} does not exist` : `Cannot read ${format} file ${file}: ${(err as Error).message}`);
  }
}
