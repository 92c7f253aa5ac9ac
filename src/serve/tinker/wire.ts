/**
 * The Tinker API's JSON shapes (SDK ≤ 0.24, SkyRL tx; remote-backends.md §1 "Shapes"),
 * parsed leniently: unknown fields are accepted and ignored (contracts.md §6), missing
 * required ones are a 400 that names the field.
 *
 * A datum: `{model_input: {chunks: [{type: "encoded_text", tokens}]}, loss_fn_inputs:
 * {target_tokens, weights?, logprobs?, advantages?, mask?}}` with every tensor a flat dense
 * `{data, dtype, shape?}` (shape ignored, as SkyRL does). `mask` is a longrl extension
 * (advertised in capabilities): the positions the loss reads, so the server skips LM-head
 * work elsewhere exactly as LocalPolicy does.
 */

/** A request error the client caused: answered with HTTP `status` and `{detail}`. */
export class WireError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export type Json = Record<string, unknown>;

export function asObject(v: unknown, field: string): Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new WireError(400, `${field} must be an object`);
  return v as Json;
}

export function asString(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new WireError(400, `${field} must be a non-empty string`);
  return v;
}

export function asInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new WireError(400, `${field} must be an integer`);
  return v;
}

export function optNumber(v: unknown, field: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireError(400, `${field} must be a number`);
  return v;
}

/** `TensorData` → plain numbers (doubles, so a sender's float64 values survive). */
export function tensorData(v: unknown, field: string): number[] {
  const o = asObject(v, field);
  const data = o['data'];
  if (!Array.isArray(data)) throw new WireError(400, `${field}.data must be a flat array of numbers (send dense 1-D data)`);
  for (let i = 0; i < data.length; i++) {
    if (typeof data[i] !== 'number') throw new WireError(400, `${field}.data[${i}] must be a number`);
  }
  return data as number[];
}

/** `ModelInput` → token ids (encoded_text chunks concatenated). */
export function modelInputTokens(v: unknown, field: string): number[] {
  const o = asObject(v, field);
  const chunks = o['chunks'];
  if (!Array.isArray(chunks)) throw new WireError(400, `${field}.chunks must be an array`);
  const out: number[] = [];
  chunks.forEach((c, i) => {
    const chunk = asObject(c, `${field}.chunks[${i}]`);
    const type = chunk['type'] ?? 'encoded_text';
    if (type !== 'encoded_text') throw new WireError(400, `${field}.chunks[${i}].type "${String(type)}" is not supported (only encoded_text)`);
    const tokens = chunk['tokens'];
    if (!Array.isArray(tokens)) throw new WireError(400, `${field}.chunks[${i}].tokens must be an array of token ids`);
    for (const t of tokens) {
      if (typeof t !== 'number' || !Number.isInteger(t)) throw new WireError(400, `${field}.chunks[${i}].tokens holds a non-integer`);
      out.push(t);
    }
  });
  return out;
}

export interface WireDatum {
  input_T: number[];
  /** loss_fn_inputs by key (doubles). */
  inputs: Record<string, number[]>;
}

export function parseData(v: unknown, field: string): WireDatum[] {
  if (!Array.isArray(v)) throw new WireError(400, `${field} must be an array of datums`);
  return v.map((d, i) => {
    const o = asObject(d, `${field}[${i}]`);
    const input_T = modelInputTokens(o['model_input'], `${field}[${i}].model_input`);
    const lfi = asObject(o['loss_fn_inputs'] ?? {}, `${field}[${i}].loss_fn_inputs`);
    const inputs: Record<string, number[]> = {};
    for (const [k, t] of Object.entries(lfi)) {
      const arr = tensorData(t, `${field}[${i}].loss_fn_inputs.${k}`);
      if (arr.length !== input_T.length) {
        throw new WireError(400, `${field}[${i}].loss_fn_inputs.${k} has ${arr.length} values, model_input has ${input_T.length} tokens`);
      }
      inputs[k] = arr;
    }
    if (!inputs['target_tokens']) throw new WireError(400, `${field}[${i}].loss_fn_inputs.target_tokens is required`);
    return { input_T, inputs };
  });
}

export function floatTensor(values: ArrayLike<number>): Json {
  return { data: Array.from(values), dtype: 'float32', shape: [values.length] };
}

/** Builds a wire datum (the client side of `parseData`). */
export function encodeDatum(input_T: ArrayLike<number>, inputs: Record<string, { data: ArrayLike<number>; dtype: 'int64' | 'float32' }>): Json {
  const lfi: Json = {};
  for (const [k, v] of Object.entries(inputs)) lfi[k] = { data: Array.from(v.data), dtype: v.dtype, shape: [v.data.length] };
  return { model_input: { chunks: [{ type: 'encoded_text', tokens: Array.from(input_T) }] }, loss_fn_inputs: lfi };
}
