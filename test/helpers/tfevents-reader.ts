// An event-file reader written from the format's description, independent of
// the writer: its own table CRC32C (Castagnoli, reflected polynomial
// 0x82F63B78), TFRecord unframing with both masked CRCs checked, and a
// protobuf wire-format decoder that knows only Event/Summary field numbers
// from tensorflow/core/util/event.proto and framework/summary.proto.

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC32C of bytes. */
export function crc32cRef(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32cRef(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** The records of a TFRecord file; throws on a bad length or data CRC. */
export function readRecords(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const len = Number(buf.readBigUInt64LE(at));
    if (buf.readUInt32LE(at + 8) !== masked(buf.subarray(at, at + 8))) throw new Error(`bad length CRC at byte ${at}`);
    const data = buf.subarray(at + 12, at + 12 + len);
    if (buf.readUInt32LE(at + 12 + len) !== masked(data)) throw new Error(`bad data CRC at byte ${at}`);
    out.push(data);
    at += 16 + len;
  }
  return out;
}

type Field = { n: number; wire: number; value: bigint | Buffer };

function varint(buf: Buffer, at: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const b = buf[at++];
    v |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [v, at];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, a1] = varint(buf, at);
    const n = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) { const [v, a2] = varint(buf, a1); out.push({ n, wire, value: v }); at = a2; }
    else if (wire === 1) { out.push({ n, wire, value: buf.subarray(a1, a1 + 8) }); at = a1 + 8; }
    else if (wire === 5) { out.push({ n, wire, value: buf.subarray(a1, a1 + 4) }); at = a1 + 4; }
    else if (wire === 2) { const [len, a2] = varint(buf, a1); out.push({ n, wire, value: buf.subarray(a2, a2 + Number(len)) }); at = a2 + Number(len); }
    else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

/** A decoded summary value. */
export interface RefValue {
  tag: string;
  simpleValue?: number;
  image?: { height: number; width: number; colorspace: number; png: Buffer };
  histo?: { min: number; max: number; num: number; bucket: number[]; bucketLimit: number[] };
}

/** A decoded Event. */
export interface RefEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: RefValue[];
}

function doubles(b: Buffer): number[] {
  return Array.from({ length: b.length / 8 }, (_, i) => b.readDoubleLE(i * 8));
}

function value(buf: Buffer): RefValue {
  const v: RefValue = { tag: '' };
  for (const f of fields(buf)) {
    if (f.n === 1) v.tag = (f.value as Buffer).toString('utf8');
    if (f.n === 2) v.simpleValue = (f.value as Buffer).readFloatLE(0);
    if (f.n === 4) {
      const img: { height: number; width: number; colorspace: number; png: Buffer } = { height: 0, width: 0, colorspace: 0, png: Buffer.alloc(0) };
      for (const g of fields(f.value as Buffer)) {
        if (g.n === 1) img.height = Number(g.value);
        if (g.n === 2) img.width = Number(g.value);
        if (g.n === 3) img.colorspace = Number(g.value);
        if (g.n === 4) img.png = g.value as Buffer;
      }
      v.image = img;
    }
    if (f.n === 5) {
      const h = { min: 0, max: 0, num: 0, bucket: [] as number[], bucketLimit: [] as number[] };
      for (const g of fields(f.value as Buffer)) {
        if (g.n === 1) h.min = (g.value as Buffer).readDoubleLE(0);
        if (g.n === 2) h.max = (g.value as Buffer).readDoubleLE(0);
        if (g.n === 3) h.num = (g.value as Buffer).readDoubleLE(0);
        if (g.n === 6) h.bucketLimit = doubles(g.value as Buffer);
        if (g.n === 7) h.bucket = doubles(g.value as Buffer);
      }
      v.histo = h;
    }
  }
  return v;
}

/** Every Event of an event file, CRCs checked. */
export function readEvents(buf: Buffer): RefEvent[] {
  return readRecords(buf).map((rec) => {
    const e: RefEvent = { wallTime: 0, step: 0, values: [] };
    for (const f of fields(rec)) {
      if (f.n === 1) e.wallTime = (f.value as Buffer).readDoubleLE(0);
      if (f.n === 2) e.step = Number(f.value);
      if (f.n === 3) e.fileVersion = (f.value as Buffer).toString('utf8');
      if (f.n === 5) e.values = fields(f.value as Buffer).filter((g) => g.n === 1).map((g) => value(g.value as Buffer));
    }
    return e;
  });
}
