import { inflateSync } from 'node:zlib';
import { ValidationError } from '../../common/errors.ts';

/**
 * A small MATLAB level-5 MAT-file reader: enough for annotation files such as
 * ShanghaiTech's `GT_IMG_n.mat` (a cell holding a struct holding a numeric
 * array), so that training needs no Python. It reads numeric, logical and
 * char arrays, cells and structs, compressed or not; anything else (sparse,
 * objects, function handles) is refused with the variable's name.
 *
 * Layout (MathWorks, "MAT-File Format", level 5): a 128-byte header, then
 * data elements of [type u32, bytes u32, data, padding to 8]. Small elements
 * pack type and size into one u32 pair of u16s and their data into 4 bytes.
 */
export type MatValue =
  | { type: 'numeric'; dims: number[]; data: Float64Array; className: string }
  | { type: 'char'; dims: number[]; text: string }
  | { type: 'cell'; dims: number[]; items: MatValue[] }
  | { type: 'struct'; dims: number[]; fields: string[]; items: Record<string, MatValue>[] };

const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18 } as const;
const MX_CLASS: Record<number, string> = { 1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8', 10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64' };

export class MatFormatError extends ValidationError {
  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(file, `not a readable MATLAB v5 file: ${reason}`, options);
    this.name = 'MatFormatError';
  }
}

interface Element { type: number; data: Buffer; next: number }

function readElement(buf: Buffer, at: number, le: boolean, file: string): Element {
  if (at + 8 > buf.length) throw new MatFormatError(file, `truncated element header at byte ${at}`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const first = u32(at);
  const small = first >>> 16;
  if (small !== 0) {
    // Small data element: bytes in the upper half, type in the lower, data in the next 4 bytes.
    const type = le ? first & 0xffff : first >>> 16;
    const bytes = le ? first >>> 16 : first & 0xffff;
    if (bytes > 4) throw new MatFormatError(file, `bad small element at byte ${at}`);
    return { type, data: buf.subarray(at + 4, at + 4 + bytes), next: at + 8 };
  }
  const type = first;
  const bytes = u32(at + 4);
  const end = at + 8 + bytes;
  if (end > buf.length) throw new MatFormatError(file, `element at byte ${at} claims ${bytes} bytes, the file has ${buf.length - at - 8}`);
  // Compressed elements are not padded; everything else pads to 8 bytes.
  const next = type === MI.COMPRESSED ? end : at + 8 + Math.ceil(bytes / 8) * 8;
  return { type, data: buf.subarray(at + 8, end), next };
}

function numbers(el: Element, le: boolean): Float64Array {
  const d = el.data;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const read: Record<number, [number, (o: number) => number]> = {
    [MI.INT8]: [1, (o) => view.getInt8(o)], [MI.UINT8]: [1, (o) => view.getUint8(o)],
    [MI.INT16]: [2, (o) => view.getInt16(o, le)], [MI.UINT16]: [2, (o) => view.getUint16(o, le)],
    [MI.INT32]: [4, (o) => view.getInt32(o, le)], [MI.UINT32]: [4, (o) => view.getUint32(o, le)],
    [MI.SINGLE]: [4, (o) => view.getFloat32(o, le)], [MI.DOUBLE]: [8, (o) => view.getFloat64(o, le)],
    [MI.INT64]: [8, (o) => Number(view.getBigInt64(o, le))], [MI.UINT64]: [8, (o) => Number(view.getBigUint64(o, le))],
    [MI.UTF8]: [1, (o) => view.getUint8(o)], [MI.UTF16]: [2, (o) => view.getUint16(o, le)], [MI.UTF32]: [4, (o) => view.getUint32(o, le)],
  };
  const r = read[el.type];
  if (!r) throw new Error(`unsupported numeric type ${el.type}`);
  const [size, get] = r;
  const out = new Float64Array(Math.floor(d.length / size));
  for (let i = 0; i < out.length; i++) out[i] = get(i * size);
  return out;
}

function parseMatrix(data: Buffer, le: boolean, file: string, where: string): { name: string; value: MatValue } {
  let at = 0;
  const flags = readElement(data, at, le, file); at = flags.next;
  const flagWord = le ? flags.data.readUInt32LE(0) : flags.data.readUInt32BE(0);
  const cls = MX_CLASS[flagWord & 0xff] ?? `class ${flagWord & 0xff}`;
  const isComplex = (flagWord & 0x800) !== 0;
  const dimsEl = readElement(data, at, le, file); at = dimsEl.next;
  const dims = Array.from(numbers(dimsEl, le));
  const nameEl = readElement(data, at, le, file); at = nameEl.next;
  const name = nameEl.data.toString('latin1');
  const label = name ? `${where}.${name}` : where;
  const count = dims.reduce((a, b) => a * b, 1);

  if (cls === 'cell') {
    const items: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const el = readElement(data, at, le, file); at = el.next;
      items.push(el.type === MI.MATRIX && el.data.length ? parseMatrix(el.data, le, file, `${label}{${i + 1}}`).value : { type: 'numeric', dims: [0, 0], data: new Float64Array(0), className: 'double' });
    }
    return { name, value: { type: 'cell', dims, items } };
  }
  if (cls === 'struct') {
    const lenEl = readElement(data, at, le, file); at = lenEl.next;
    const nameLen = numbers(lenEl, le)[0]!;
    const namesEl = readElement(data, at, le, file); at = namesEl.next;
    const fields: string[] = [];
    for (let o = 0; o + nameLen <= namesEl.data.length; o += nameLen) fields.push(namesEl.data.subarray(o, o + nameLen).toString('latin1').replace(/\0.*$/s, ''));
    const items: Record<string, MatValue>[] = [];
    for (let i = 0; i < count; i++) {
      const item: Record<string, MatValue> = {};
      for (const f of fields) {
        const el = readElement(data, at, le, file); at = el.next;
        item[f] = el.type === MI.MATRIX && el.data.length ? parseMatrix(el.data, le, file, `${label}.${f}`).value : { type: 'numeric', dims: [0, 0], data: new Float64Array(0), className: 'double' };
      }
      items.push(item);
    }
    return { name, value: { type: 'struct', dims, fields, items } };
  }
  if (cls === 'char') {
    const el = readElement(data, at, le, file);
    const codes = numbers(el, le);
    return { name, value: { type: 'char', dims, text: String.fromCodePoint(...codes) } };
  }
  if (['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'].includes(cls)) {
    const real = readElement(data, at, le, file);
    const values = numbers(real, le);
    if (values.length !== count) throw new MatFormatError(file, `${label}: ${count} values expected, found ${values.length}`);
    // Imaginary parts are dropped: coordinates are real.
    void isComplex;
    return { name, value: { type: 'numeric', dims, data: values, className: cls } };
  }
  throw new MatFormatError(file, `${label}: unsupported MATLAB class ${cls}`);
}

/** Every top-level variable of a level-5 MAT file, by name. */
export function readMat(buf: Buffer, file = 'mat file'): Record<string, MatValue> {
  if (buf.length < 128) throw new MatFormatError(file, `only ${buf.length} bytes, a MAT header alone is 128`);
  if (!buf.subarray(0, 6).toString('latin1').startsWith('MATLAB')) throw new MatFormatError(file, 'no "MATLAB" header text (MAT v7.3 files are HDF5 and need converting)');
  const endian = buf.subarray(126, 128).toString('latin1');
  if (endian !== 'IM' && endian !== 'MI') throw new MatFormatError(file, `unknown endian indicator "${endian}"`);
  const le = endian === 'IM';
  const out: Record<string, MatValue> = {};
  let at = 128;
  while (at + 8 <= buf.length) {
    let el = readElement(buf, at, le, file);
    at = el.next;
    if (el.type === MI.COMPRESSED) {
      let raw: Buffer;
      try {
        raw = inflateSync(el.data);
      } catch (err) {
        throw new MatFormatError(file, 'a compressed element does not inflate', { cause: err });
      }
      el = readElement(raw, 0, le, file);
    }
    if (el.type !== MI.MATRIX) continue;
    const { name, value } = parseMatrix(el.data, le, file, '');
    out[name] = value;
  }
  return out;
}

/**
 * Follows a path of struct fields and cell/struct indices (0-based) to a
 * numeric array, e.g. ['image_info', 0, 'location'] for ShanghaiTech.
 */
export function matPath(root: Record<string, MatValue>, path: readonly (string | number)[], file = 'mat file'): MatValue {
  let cur: MatValue | undefined;
  let where = '';
  for (const step of path) {
    where += typeof step === 'number' ? `[${step}]` : `${where ? '.' : ''}${step}`;
    if (cur === undefined) cur = typeof step === 'string' ? root[step] : undefined;
    else if (typeof step === 'number' && (cur.type === 'cell' || cur.type === 'struct')) {
      const item: MatValue | Record<string, MatValue> | undefined = cur.items[step];
      cur = cur.type === 'struct' ? (item ? { type: 'struct', dims: [1, 1], fields: cur.fields, items: [item as Record<string, MatValue>] } : undefined) : (item as MatValue | undefined);
    } else if (typeof step === 'string' && cur.type === 'struct') cur = cur.items[0]?.[step];
    else cur = undefined;
    if (cur === undefined) throw new MatFormatError(file, `no ${where}`);
  }
  if (!cur) throw new MatFormatError(file, 'empty path');
  return cur;
}
