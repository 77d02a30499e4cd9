/**
 * ONNX protobuf (the `onnx-proto` package, ONNX 1.10 schema) and the tensors mohaq's ONNX code works
 * with: decoding and encoding models, tensors to and from TensorProto, attribute helpers.
 */
import onnxProto from 'onnx-proto';
import { MohaqError, invalidFile } from '../util/errors.js';

export const onnx = onnxProto.onnx;
export type OnnxModel = onnxProto.onnx.IModelProto;
export type OnnxGraph = onnxProto.onnx.IGraphProto;
export type OnnxNode = onnxProto.onnx.INodeProto;
export type OnnxTensorProto = onnxProto.onnx.ITensorProto;
export type OnnxAttribute = onnxProto.onnx.IAttributeProto;
export type OnnxValueInfo = onnxProto.onnx.IValueInfoProto;

export type DType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';
/** int64 values are held as doubles (exact below 2^53: shapes, indices, zero points). */
export type TensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array;

export interface Tensor {
  dtype: DType;
  dims: number[];
  data: TensorData;
}

const DT = onnx.TensorProto.DataType;
const TO_DTYPE: Partial<Record<number, DType>> = { [DT.FLOAT]: 'float32', [DT.DOUBLE]: 'float64', [DT.INT8]: 'int8', [DT.UINT8]: 'uint8', [DT.INT16]: 'int16', [DT.INT32]: 'int32', [DT.INT64]: 'int64', [DT.BOOL]: 'bool' };
const FROM_DTYPE: Record<DType, number> = { float32: DT.FLOAT, float64: DT.DOUBLE, int8: DT.INT8, uint8: DT.UINT8, int16: DT.INT16, int32: DT.INT32, int64: DT.INT64, bool: DT.BOOL };

export function dtypeOfProto(dataType: number): DType | undefined {
  return TO_DTYPE[dataType];
}

export function protoDataType(dtype: DType): number {
  return FROM_DTYPE[dtype];
}

export function numberOf(v: number | { toNumber(): number } | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

export function size(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
    case 'int64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

export function tensor(dtype: DType, dims: readonly number[], values?: ArrayLike<number>): Tensor {
  const data = allocate(dtype, size(dims));
  if (values) {
    if (values.length !== data.length) throw new MohaqError('INTERNAL', `internal error: tensor of shape [${dims.join(', ')}] given ${values.length} values`);
    data.set(values as ArrayLike<number>);
  }
  return { dtype, dims: [...dims], data };
}

/** A TensorProto as a tensor (raw little-endian data or the typed fields). */
export function fromProto(t: OnnxTensorProto, file = 'the model'): Tensor {
  const dtype = dtypeOfProto(t.dataType ?? 0);
  const name = t.name ? `"${t.name}"` : '(unnamed)';
  if (!dtype) throw invalidFile(file, `tensor ${name}: data type ${t.dataType} is not supported (float, double, int8/16/32/64, uint8, bool are)`);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw new MohaqError('UNSUPPORTED', `${file}: tensor ${name} keeps its data in an external file; save the model with its weights inside (onnx.save_model(..., save_as_external_data=False))`);
  const dims = (t.dims ?? []).map(numberOf);
  const n = size(dims);
  const out = tensor(dtype, dims);
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const bytes = new Uint8Array(raw.length);
    bytes.set(raw);
    const view = new DataView(bytes.buffer);
    const width = { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, bool: 1 }[dtype];
    if (bytes.length !== n * width) throw invalidFile(file, `tensor ${name}: ${bytes.length} bytes of data for shape [${dims.join(', ')}] (expected ${n * width})`);
    for (let i = 0; i < n; i++) {
      const o = i * width;
      switch (dtype) {
        case 'float32':
          out.data[i] = view.getFloat32(o, true);
          break;
        case 'float64':
          out.data[i] = view.getFloat64(o, true);
          break;
        case 'int8':
          out.data[i] = view.getInt8(o);
          break;
        case 'uint8':
        case 'bool':
          out.data[i] = view.getUint8(o);
          break;
        case 'int16':
          out.data[i] = view.getInt16(o, true);
          break;
        case 'int32':
          out.data[i] = view.getInt32(o, true);
          break;
        case 'int64':
          out.data[i] = Number(view.getBigInt64(o, true));
          break;
      }
    }
    return out;
  }
  const field: ArrayLike<number | { toNumber(): number }> =
    dtype === 'float32' ? t.floatData ?? [] : dtype === 'float64' ? t.doubleData ?? [] : dtype === 'int64' ? t.int64Data ?? [] : t.int32Data ?? [];
  if (field.length !== n) throw invalidFile(file, `tensor ${name}: ${field.length} values for shape [${dims.join(', ')}] (expected ${n})`);
  for (let i = 0; i < n; i++) out.data[i] = numberOf(field[i] as number);
  return out;
}

/** A tensor as a TensorProto with raw little-endian data. */
export function toProto(name: string, t: Tensor): OnnxTensorProto {
  const n = t.data.length;
  let bytes: Uint8Array;
  if (t.dtype === 'int64') {
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) a[i] = BigInt(t.data[i]!);
    bytes = new Uint8Array(a.buffer);
  } else {
    bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  }
  return onnx.TensorProto.create({ name, dims: t.dims, dataType: protoDataType(t.dtype), rawData: Uint8Array.from(bytes) });
}

export function decodeModel(bytes: Uint8Array, file = 'model.onnx'): onnxProto.onnx.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw invalidFile(file, `not an ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
}

export function encodeModel(model: OnnxModel): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

// ---- attributes ---------------------------------------------------------------------------------------

const AT = onnx.AttributeProto.AttributeType;

export function attribute(node: OnnxNode, name: string): OnnxAttribute | undefined {
  return (node.attribute ?? []).find((a) => a.name === name);
}

export function attrInt(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? numberOf(a.i as number) : fallback;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? (a.ints ?? []).map((v) => numberOf(v as number)) : undefined;
}

export function attrFloat(node: OnnxNode, name: string, fallback: number): number {
  const a = attribute(node, name);
  return a ? a.f ?? 0 : fallback;
}

export function attrString(node: OnnxNode, name: string, fallback: string): string {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : fallback;
}

export function attrStrings(node: OnnxNode, name: string): string[] | undefined {
  const a = attribute(node, name);
  return a ? (a.strings ?? []).map((s) => new TextDecoder().decode(s)) : undefined;
}

export const attr = {
  int: (name: string, i: number): OnnxAttribute => ({ name, type: AT.INT, i }),
  ints: (name: string, ints: number[]): OnnxAttribute => ({ name, type: AT.INTS, ints }),
  float: (name: string, f: number): OnnxAttribute => ({ name, type: AT.FLOAT, f }),
  string: (name: string, s: string): OnnxAttribute => ({ name, type: AT.STRING, s: new TextEncoder().encode(s) }),
  tensor: (name: string, t: OnnxTensorProto): OnnxAttribute => ({ name, type: AT.TENSOR, t }),
  graph: (name: string, g: OnnxGraph): OnnxAttribute => ({ name, type: AT.GRAPH, g }),
};

/** A float32 tensor value-info with named (symbolic) or fixed dimensions. */
export function valueInfo(name: string, dims: ReadonlyArray<number | string>, dtype: DType = 'float32'): OnnxValueInfo {
  return {
    name,
    type: { tensorType: { elemType: protoDataType(dtype), shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}
