// TFRecord framing, as TensorFlow's record_writer.cc writes it and
// TensorBoard's reader checks it: for each record,
//   uint64 length (little-endian), uint32 masked_crc32c(length bytes),
//   the data, uint32 masked_crc32c(data).
import { crc32c } from '@node-rs/crc32';

/**
 * CRC32C (Castagnoli) of `data`, masked as TFRecord requires: rotate right
 * by 15 bits and add 0xa282ead8 (mod 2^32), so that a CRC of bytes holding
 * CRCs does not look like one.
 *
 * @example maskedCrc32c(Buffer.alloc(8)); // a uint32
 */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength)) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/**
 * One framed record.
 * @example fs.appendFileSync(file, tfRecord(eventBytes));
 */
export function tfRecord(data: Uint8Array): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(BigInt(data.byteLength), 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(maskedCrc32c(data), 0);
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength), footer]);
}
