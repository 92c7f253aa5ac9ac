"""Where do the heads of a trained model attend on query documents (research/demo/order-probe.ts)?
Reads a model folder (F32 safetensors, Qwen2/Qwen3) and a JSON of documents
[{ids, queries: [{at, key, value}]}] (at: the query key's position; key/value: positions of
the key and value tokens of the stated fact). Prints per layer and head: the mean attention
from every position to its previous token, and from the query keys to the stated value
(the lookup target), the stated key, BOS, the other facts' values, and everything else.
Usage: /usr/bin/python3 attn-inspect.py MODEL_DIR DOCS.json"""
import json, struct, sys
import numpy as np

def load_st(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    hdr = json.loads(raw[8:8 + n])
    out = {}
    for k, v in hdr.items():
        if k == '__metadata__': continue
        a, b = v['data_offsets']
        out[k] = np.frombuffer(raw[8 + n + a: 8 + n + b], dtype=np.float32).reshape(v['shape'])
    return out

d = sys.argv[1]
cfg = json.load(open(f'{d}/config.json'))
W = load_st(f'{d}/model.safetensors')
Hd, H, HKV, L = cfg['hidden_size'], cfg['num_attention_heads'], cfg['num_key_value_heads'], cfg['num_hidden_layers']
D = cfg.get('head_dim') or Hd // H
eps = cfg['rms_norm_eps']
theta = cfg['rope_theta']
qwen3 = cfg['model_type'] == 'qwen3'
def rms(x, w): return w * x / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
def rope(x, T):
    inv = 1.0 / theta ** (np.arange(0, D, 2) / D)
    f = np.outer(np.arange(T), inv); c, s = np.cos(np.concatenate([f, f], -1)), np.sin(np.concatenate([f, f], -1))
    x1, x2 = x[..., :D // 2], x[..., D // 2:]
    return x * c[:, None, :] + np.concatenate([-x2, x1], -1) * s[:, None, :]
def g(n): return W[n]
docs = json.load(open(sys.argv[2]))
stats = np.zeros((L, H, 5)); prev = np.zeros((L, H)); peak = np.zeros((L, H)); nq = 0; npos = 0; pval = 0.0; npv = 0
for doc in docs:
    ids = np.array(doc['ids']); T = len(ids)
    x = g('model.embed_tokens.weight')[ids]
    for l in range(L):
        p = f'model.layers.{l}.'
        h = rms(x, g(p + 'input_layernorm.weight'))
        lin = lambda n: h @ g(p + f'self_attn.{n}_proj.weight').T + (g(p + f'self_attn.{n}_proj.bias') if p + f'self_attn.{n}_proj.bias' in W else 0)
        q, k, v = lin('q').reshape(T, H, D), lin('k').reshape(T, HKV, D), lin('v').reshape(T, HKV, D)
        if qwen3:
            q = rms(q, g(p + 'self_attn.q_norm.weight')); k = rms(k, g(p + 'self_attn.k_norm.weight'))
        q, k = rope(q, T), rope(k, T)
        out = np.zeros((T, H, D))
        for hh in range(H):
            kk, vv = k[:, hh // (H // HKV)], v[:, hh // (H // HKV)]
            s = q[:, hh] @ kk.T / np.sqrt(D)
            s = np.where(np.tril(np.ones((T, T))) > 0, s, -np.inf)
            a = np.exp(s - s.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
            out[:, hh] = a @ vv
            prev[l, hh] += sum(a[t, t - 1] for t in range(1, T))
            peak[l, hh] += a[1:].max(-1).sum()
            for qq in doc['queries']:
                t = qq['at']
                if t >= T: continue
                row = a[t]
                others = sum(row[o['value']] for o in doc['queries'] if o['value'] != qq['value'])
                stats[l, hh] += [row[qq['value']], row[qq['key']], row[0], others, 1 - row[qq['value']] - row[qq['key']] - row[0] - others]
        x = x + out.reshape(T, H * D) @ g(p + 'self_attn.o_proj.weight').T
        h = rms(x, g(p + 'post_attention_layernorm.weight'))
        gt, up = h @ g(p + 'mlp.gate_proj.weight').T, h @ g(p + 'mlp.up_proj.weight').T
        x = x + (gt / (1 + np.exp(-gt)) * up) @ g(p + 'mlp.down_proj.weight').T
    logits = rms(x, g('model.norm.weight')) @ (g('lm_head.weight') if 'lm_head.weight' in W else g('model.embed_tokens.weight')).T
    for qq in doc['queries']:
        t = qq['at']
        if t + 1 >= T: continue
        z = logits[t] - logits[t].max(); pv = np.exp(z) / np.exp(z).sum()
        pval += pv[ids[t + 1]]; npv += 1
    nq += sum(1 for qq in doc['queries'] if qq['at'] < T); npos += T - 1
print(f'{len(docs)} documents, {nq} queries, p(value | query key) {pval / max(npv, 1):.3f}')
for l in range(L):
    for hh in range(H):
        s = stats[l, hh] / nq
        print(f'layer {l} head {hh}: peak {peak[l, hh] / npos:.2f} prev-token {prev[l, hh] / npos:.2f} | query key -> value {s[0]:.3f} key {s[1]:.3f} bos {s[2]:.3f} other values {s[3]:.3f} rest {s[4]:.3f}')
