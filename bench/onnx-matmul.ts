/**
 * A one-node ONNX model (C = MatMul(A, B), float32, fixed shapes) written as protobuf
 * bytes by hand, so the benchmark needs no ONNX tooling to build its peer's graph.
 * Field numbers from onnx/onnx.proto3 (ModelProto, GraphProto, NodeProto, ValueInfoProto,
 * TypeProto.Tensor, TensorShapeProto).
 */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}
const key = (field: number, wire: number): number[] => varint(field * 8 + wire);
const vint = (field: number, n: number): number[] => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: number[]): number[] => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);

function valueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => bytes(1, vint(1, d)));            // TensorShapeProto.dim { dim_value }
  const tensor = [...vint(1, 1), ...bytes(2, shape)];                 // elem_type FLOAT, shape
  return [...str(1, name), ...bytes(2, bytes(1, tensor))];            // ValueInfoProto { name, type { tensor_type } }
}

export function matmulModel(M: number, N: number, K: number): Uint8Array {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(4, 'MatMul')];
  const graph = [
    ...bytes(1, node), ...str(2, 'matmul'),
    ...bytes(11, valueInfo('A', [M, K])), ...bytes(11, valueInfo('B', [K, N])),
    ...bytes(12, valueInfo('C', [M, N])),
  ];
  const opset = [...str(1, ''), ...vint(2, 13)];
  return Uint8Array.from([...vint(1, 8), ...str(2, 'longrl-bench'), ...bytes(7, graph), ...bytes(8, opset)]);
}
