/**
 * Export to GGUF v3 for llama.cpp and Ollama, as llama.cpp's `convert_hf_to_gguf.py` writes
 * Qwen2/Qwen3: architecture `qwen2` / `qwen3`, llama.cpp tensor names, ne[] = the PyTorch
 * shape reversed, 2-D weights in the chosen float type and 1-D tensors (norms, biases) in
 * F32, the byte-level BPE vocabulary as tokenizer model `gpt2` with pre-tokenizer `qwen2`,
 * the chat template, 32-byte alignment. Qwen's RoPE is the NEOX (rotate-half) form that
 * llama.cpp uses for these architectures, so q/k need no permutation.
 */
import { writeFileAtomicStream } from '../util/fsx.ts';
import { UserError } from '../util/errors.ts';
import type { ModelConfig } from './config.ts';
import type { Tensor } from './safetensors.ts';
import { f32ToBf16Loop, f32ToF16Loop } from './io/dtype.ts';
import { QWEN_PRETOKENIZE_REGEX } from '../tokenizer/bpe-trainer.ts';
import {
  ByteWriter, GGUF_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, GgufTokenType, GgufType, alignUp, type GgufValue,
} from './io/gguf-format.ts';

export type GgufDtype = 'F32' | 'F16' | 'BF16';

export interface GgufExportInput {
  config: ModelConfig;
  weights: Map<string, Tensor>;
  tokenizerJson?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  /** Type of the 2-D weights (default F16, as llama.cpp's converter); 1-D tensors stay F32. */
  dtype?: GgufDtype;
  /** `general.name` (default: the architecture). */
  name?: string;
}

const LAYER_MAP: Record<string, string> = {
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'self_attn.q_norm': 'attn_q_norm',
  'self_attn.k_norm': 'attn_k_norm',
  input_layernorm: 'attn_norm',
  post_attention_layernorm: 'ffn_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};

/** llama.cpp's name for a Hugging Face tensor name (undefined when it has none). */
export function ggufTensorName(hfName: string): string | undefined {
  if (hfName === 'model.embed_tokens.weight') return 'token_embd.weight';
  if (hfName === 'model.norm.weight') return 'output_norm.weight';
  if (hfName === 'lm_head.weight') return 'output.weight';
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hfName);
  if (!m) return undefined;
  const mapped = LAYER_MAP[m[2] as string];
  return mapped === undefined ? undefined : `blk.${m[1]}.${mapped}.${m[3]}`;
}

const GGML_FILE_TYPE: Record<GgufDtype, number> = { F32: 0, F16: 1, BF16: 32 };
const GGML_TYPE: Record<GgufDtype, GgmlType> = { F32: GgmlType.F32, F16: GgmlType.F16, BF16: GgmlType.BF16 };

const str = (value: string): GgufValue => ({ type: GgufType.STRING, value });
const u32 = (value: number): GgufValue => ({ type: GgufType.UINT32, value });
const f32 = (value: number): GgufValue => ({ type: GgufType.FLOAT32, value });
const bool = (value: boolean): GgufValue => ({ type: GgufType.BOOL, value });

function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

/** The `tokenizer.ggml.*` metadata of a byte-level BPE tokenizer.json (convert_hf_to_gguf's `get_vocab_base`). */
export function tokenizerMetadata(cfg: ModelConfig, tj: Record<string, unknown>, tc: Record<string, unknown>): [string, GgufValue][] {
  const model = tj['model'] as { type?: string; vocab?: Record<string, number>; merges?: (string | string[])[] } | undefined;
  if (!model || model.type !== 'BPE' || !model.vocab || !model.merges) {
    throw new UserError('GGUF export supports byte-level BPE tokenizers (tokenizer.json model.type "BPE") only');
  }
  const byId = new Map<number, string>();
  for (const [tok, id] of Object.entries(model.vocab)) byId.set(id, tok);
  const added = (tj['added_tokens'] as { id: number; content: string; special?: boolean }[] | undefined) ?? [];
  const addedById = new Map(added.map((a) => [a.id, a]));
  for (const a of added) byId.set(a.id, a.content);
  const maxId = Math.max(...byId.keys());
  if (maxId >= cfg.vocabSize) {
    throw new UserError(`tokenizer has token id ${maxId} but the model has only ${cfg.vocabSize} embedding rows`);
  }
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < cfg.vocabSize; i++) {
    const t = byId.get(i);
    if (t === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(GgufTokenType.UNUSED);
    } else {
      tokens.push(t);
      const a = addedById.get(i);
      types.push(a ? (a.special ? GgufTokenType.CONTROL : GgufTokenType.USER_DEFINED) : GgufTokenType.NORMAL);
    }
  }
  const merges = model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const idOf = (field: string): number | undefined => {
    const c = tokenContent(tc[field]);
    if (c === null) return undefined;
    const a = added.find((x) => x.content === c);
    return a ? a.id : model.vocab?.[c];
  };
  const pre = (tj['pre_tokenizer'] as { pretokenizers?: { pattern?: { Regex?: string } }[] } | undefined)?.pretokenizers?.[0]?.pattern?.Regex;
  const out: [string, GgufValue][] = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre === QWEN_PRETOKENIZE_REGEX ? 'qwen2' : 'default')],
    ['tokenizer.ggml.tokens', { type: GgufType.ARRAY, elemType: GgufType.STRING, value: tokens }],
    ['tokenizer.ggml.token_type', { type: GgufType.ARRAY, elemType: GgufType.INT32, value: types }],
    ['tokenizer.ggml.merges', { type: GgufType.ARRAY, elemType: GgufType.STRING, value: merges }],
  ];
  const bos = cfg.bosTokenId ?? idOf('bos_token');
  if (bos !== undefined) out.push(['tokenizer.ggml.bos_token_id', u32(bos)]);
  const eos = idOf('eos_token') ?? cfg.eosTokenIds[0];
  if (eos !== undefined) out.push(['tokenizer.ggml.eos_token_id', u32(eos)]);
  const pad = idOf('pad_token');
  if (pad !== undefined) out.push(['tokenizer.ggml.padding_token_id', u32(pad)]);
  out.push(['tokenizer.ggml.add_bos_token', bool(tc['add_bos_token'] === true)]);
  const tpl = tc['chat_template'];
  if (typeof tpl === 'string') out.push(['tokenizer.chat_template', str(tpl)]);
  return out;
}

/** The model metadata (`general.*` and `<arch>.*`). */
export function modelMetadata(cfg: ModelConfig, dtype: GgufDtype, name: string): [string, GgufValue][] {
  const a = cfg.modelType;
  const out: [string, GgufValue][] = [
    ['general.architecture', str(a)],
    ['general.name', str(name)],
    ['general.file_type', u32(GGML_FILE_TYPE[dtype])],
    ['general.alignment', u32(GGUF_ALIGNMENT)],
    [`${a}.context_length`, u32(cfg.maxPositionEmbeddings)],
    [`${a}.embedding_length`, u32(cfg.hiddenSize)],
    [`${a}.block_count`, u32(cfg.numLayers)],
    [`${a}.feed_forward_length`, u32(cfg.intermediateSize)],
    [`${a}.attention.head_count`, u32(cfg.numHeads)],
    [`${a}.attention.head_count_kv`, u32(cfg.numKvHeads)],
    [`${a}.attention.key_length`, u32(cfg.headDim)],
    [`${a}.attention.value_length`, u32(cfg.headDim)],
    [`${a}.rope.freq_base`, f32(cfg.ropeTheta)],
    [`${a}.attention.layer_norm_rms_epsilon`, f32(cfg.rmsNormEps)],
  ];
  const rs = cfg.ropeScaling;
  if (rs && (rs.type === 'yarn' || rs.type === 'linear')) {
    out.push([`${a}.rope.scaling.type`, str(rs.type)]);
    out.push([`${a}.rope.scaling.factor`, f32(rs.factor)]);
    if (rs.originalMaxPositionEmbeddings !== undefined) out.push([`${a}.rope.scaling.original_context_length`, u32(rs.originalMaxPositionEmbeddings)]);
    if (rs.attentionFactor !== undefined) out.push([`${a}.rope.scaling.attn_factor`, f32(rs.attentionFactor)]);
    if (rs.betaFast !== undefined) out.push([`${a}.rope.scaling.yarn_beta_fast`, f32(rs.betaFast)]);
    if (rs.betaSlow !== undefined) out.push([`${a}.rope.scaling.yarn_beta_slow`, f32(rs.betaSlow)]);
  } else if (rs && rs.type !== 'default') {
    throw new UserError(`GGUF export: rope_scaling type "${rs.type}" has no llama.cpp equivalent here (yarn and linear are supported)`);
  }
  return out;
}

interface PlannedTensor {
  name: string;
  ne: number[];
  type: GgmlType;
  data: Float32Array;
  offset: number;
  bytes: number;
}

function encodeTensor(t: PlannedTensor): Uint8Array {
  if (t.type === GgmlType.F32) return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const u16 = new Uint16Array(t.data.length);
  if (t.type === GgmlType.F16) f32ToF16Loop(t.data, u16);
  else f32ToBf16Loop(t.data, u16);
  return new Uint8Array(u16.buffer);
}

/**
 * Writes `path` as a GGUF v3 file (atomically: temporary file, fsync, rename).
 * Returns the number of tensors and bytes written.
 */
export function writeGguf(path: string, input: GgufExportInput): { tensors: number; bytes: number } {
  const cfg = input.config;
  const dtype = input.dtype ?? 'F16';
  const meta: [string, GgufValue][] = [...modelMetadata(cfg, dtype, input.name ?? cfg.modelType)];
  if (input.tokenizerJson) meta.push(...tokenizerMetadata(cfg, input.tokenizerJson, input.tokenizerConfig ?? {}));

  const planned: PlannedTensor[] = [];
  let offset = 0;
  const names = [...input.weights.keys()];
  // llama.cpp's converter order: embeddings, blocks in order, final norm, output.
  const rank = (n: string) => (n.startsWith('model.embed') ? -1 : n === 'model.norm.weight' ? 1e9 : n === 'lm_head.weight' ? 1e9 + 1 : Number(/layers\.(\d+)\./.exec(n)?.[1] ?? 0));
  names.sort((x, y) => rank(x) - rank(y) || (x < y ? -1 : x > y ? 1 : 0));
  for (const hf of names) {
    if (hf === 'lm_head.weight' && cfg.tieWordEmbeddings) continue;
    const g = ggufTensorName(hf);
    if (g === undefined) throw new UserError(`GGUF export: no llama.cpp name for tensor "${hf}"`);
    const t = input.weights.get(hf) as Tensor;
    const type = t.shape.length >= 2 ? GGML_TYPE[dtype] : GgmlType.F32;
    const bytes = t.data.length * (type === GgmlType.F32 ? 4 : 2);
    planned.push({ name: g, ne: [...t.shape].reverse(), type, data: t.data, offset, bytes });
    offset = alignUp(offset + bytes, GGUF_ALIGNMENT);
  }

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(planned.length);
  w.u64(meta.length);
  for (const [k, v] of meta) {
    w.str(k);
    w.value(v);
  }
  for (const t of planned) {
    w.str(t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(t.type);
    w.u64(t.offset);
  }
  w.pad(GGUF_ALIGNMENT);
  const header = w.bytes();

  let written = 0;
  writeFileAtomicStream(path, (write) => {
    const put = (b: Uint8Array) => {
      write(b);
      written += b.length;
    };
    put(header);
    for (const t of planned) {
      put(encodeTensor(t));
      const padTo = alignUp(t.offset + t.bytes, GGUF_ALIGNMENT) - (t.offset + t.bytes);
      if (padTo > 0) put(new Uint8Array(padTo));
    }
  });
  return { tensors: planned.length, bytes: written };
}
