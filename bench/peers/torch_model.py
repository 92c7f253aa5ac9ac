"""PyTorch peer of bench/model.ts: the same Qwen2-style reference model in plain torch
(Debian python3-torch), at its best per contracts §6 (OpenBLAS, tcmalloc via LD_PRELOAD,
torch 1.13's private F._scaled_dot_product_attention with is_causal=True).

  python3 torch_model.py train T      -> {"tokens_per_s", "step_s", "peak_rss_mb", ...}
  python3 torch_model.py decode CTX N -> {"tok_s_1", "tok_s_N", ...}  (KV cache, group shares the prompt)

Decode runs under inference_mode with the prompt's cache shared by broadcast matmuls and
each sample's own keys in a preallocated cache (no torch.cat of the 2K-token cache per
step, which cost 4x). TORCH_PEER_THREADS (and OPENBLAS_NUM_THREADS) set the thread count:
bench/model.ts runs decode on 1 and 2 threads and keeps the faster.
"""
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

HID, INTER, LAYERS, H, HKV, VOCAB = 256, 704, 4, 4, 2, 4096
D = HID // H
EPS = 1e-6


def sdpa(q, k, v, causal):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    out = F._scaled_dot_product_attention(q, k, v, None, 0.0, causal)
    return out[0] if isinstance(out, tuple) else out


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        g = torch.Generator().manual_seed(0)
        p = lambda *s: torch.nn.Parameter(torch.randn(*s, generator=g) * 0.02)
        self.embed = p(VOCAB, HID)
        self.layers = torch.nn.ModuleList()
        for _ in range(LAYERS):
            m = torch.nn.Module()
            m.n1 = torch.nn.Parameter(torch.ones(HID))
            m.wq, m.bq = p(H * D, HID), p(H * D)
            m.wk, m.bk = p(HKV * D, HID), p(HKV * D)
            m.wv, m.bv = p(HKV * D, HID), p(HKV * D)
            m.wo = p(HID, H * D)
            m.n2 = torch.nn.Parameter(torch.ones(HID))
            m.wg, m.wu, m.wd = p(INTER, HID), p(INTER, HID), p(HID, INTER)
            self.layers.append(m)
        self.norm = torch.nn.Parameter(torch.ones(HID))
        inv = 1.0 / (10000 ** (torch.arange(0, D, 2).float() / D))
        pos = torch.arange(32768).float()
        f = torch.outer(pos, inv)
        emb = torch.cat([f, f], -1)
        self.cos, self.sin = emb.cos(), emb.sin()

    @staticmethod
    def rms(x, w):
        return w * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS)

    def rope(self, x, pos):
        c, s = self.cos[pos][None, :, None, :], self.sin[pos][None, :, None, :]
        x1, x2 = x[..., : D // 2], x[..., D // 2:]
        return x * c + torch.cat([-x2, x1], -1) * s

    def layer(self, m, x, pos):
        """A causal pass over the whole sequence (training, and the decode benchmark's prefill);
        returns the layer's output and its K/V (B, T, HKV, D)."""
        B, T, _ = x.shape
        h = self.rms(x, m.n1)
        q = F.linear(h, m.wq, m.bq).view(B, T, H, D)
        k = F.linear(h, m.wk, m.bk).view(B, T, HKV, D)
        v = F.linear(h, m.wv, m.bv).view(B, T, HKV, D)
        q, k = self.rope(q, pos), self.rope(k, pos)
        kk = k[:, :, :, None, :].expand(B, T, HKV, H // HKV, D).reshape(B, T, H, D).transpose(1, 2)
        vv = v[:, :, :, None, :].expand(B, T, HKV, H // HKV, D).reshape(B, T, H, D).transpose(1, 2)
        a = sdpa(q.transpose(1, 2), kk, vv, True).transpose(1, 2).reshape(B, T, H * D)
        x = x + F.linear(a, m.wo)
        h = self.rms(x, m.n2)
        x = x + F.linear(F.silu(F.linear(h, m.wg)) * F.linear(h, m.wu), m.wd)
        return x, (k, v)

    def decode_layer(self, m, x, pos, pk, pv, sk, sv, s):
        """One decode step of one layer at its best in torch: the prompt cache pk/pv
        (1, HKV, ctx, D) is shared by the group without copies (broadcast matmuls), each
        sample's own keys go into a preallocated cache sk/sv (B, HKV, S, D) at slot s."""
        B = x.shape[0]
        h = self.rms(x, m.n1)
        q = F.linear(h, m.wq, m.bq).view(B, 1, H, D)
        k = F.linear(h, m.wk, m.bk).view(B, 1, HKV, D)
        v = F.linear(h, m.wv, m.bv).view(B, 1, HKV, D)
        q, k = self.rope(q, pos), self.rope(k, pos)
        sk[:, :, s] = k[:, 0]
        sv[:, :, s] = v[:, 0]
        qg = q.view(B, HKV, H // HKV, D) * (D ** -0.5)
        sp = torch.matmul(qg, pk.transpose(-1, -2))
        ss = torch.matmul(qg, sk[:, :, : s + 1].transpose(-1, -2))
        p = torch.softmax(torch.cat([sp, ss], -1), -1)
        n = pk.shape[2]
        a = torch.matmul(p[..., :n], pv) + torch.matmul(p[..., n:], sv[:, :, : s + 1])
        x = x + F.linear(a.reshape(B, 1, H * D), m.wo)
        h = self.rms(x, m.n2)
        return x + F.linear(F.silu(F.linear(h, m.wg)) * F.linear(h, m.wu), m.wd)

    def decode(self, tok, pos, prompt, own, s):
        x = F.embedding(tok, self.embed)
        for m, (pk, pv), (sk, sv) in zip(self.layers, prompt, own):
            x = self.decode_layer(m, x, pos, pk, pv, sk, sv, s)
        return F.linear(self.rms(x, self.norm), self.embed)

    def forward(self, ids, pos):
        x = F.embedding(ids, self.embed)
        new = []
        for m in self.layers:
            x, kv = self.layer(m, x, pos)
            new.append(kv)
        return F.linear(self.rms(x, self.norm), self.embed), new


def main():
    torch.set_num_threads(int(os.environ.get("TORCH_PEER_THREADS", os.cpu_count() or 1)))
    model = Model()
    info = {"backend": "openblas" if "openblas" in open("/proc/self/maps").read() else "blas", "threads": torch.get_num_threads()}
    if sys.argv[1] == "train":
        T = int(sys.argv[2])
        ids = torch.randint(0, VOCAB, (1, T + 1))
        pos = torch.arange(T)
        best = 1e9
        for i in range(3):
            t0 = time.perf_counter()
            logits, _ = model(ids[:, :T], pos)
            loss = F.cross_entropy(logits.view(-1, VOCAB), ids[0, 1:])
            loss.backward()
            dt = time.perf_counter() - t0
            if i > 0:
                best = min(best, dt)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({**info, "tokens_per_s": T / best, "step_s": best, "peak_rss_mb": round(rss)}))
    else:
        ctx, n = int(sys.argv[2]), int(sys.argv[3])
        out = dict(info)
        with torch.inference_mode():
            ids = torch.randint(0, VOCAB, (1, ctx))
            _, caches = model(ids, torch.arange(ctx))
            prompt = [(k.transpose(1, 2).contiguous(), v.transpose(1, 2).contiguous()) for k, v in caches]
            steps = 32
            for b in (1, n):
                own = [(torch.zeros(b, HKV, steps + 4, D), torch.zeros(b, HKV, steps + 4, D)) for _ in range(LAYERS)]
                tok = torch.zeros(b, 1, dtype=torch.long)
                t0 = None
                for s in range(steps + 4):
                    if s == 4:
                        t0 = time.perf_counter()
                    logits = model.decode(tok, torch.tensor([ctx + s]), prompt, own, s)
                    tok = logits[:, -1:].argmax(-1)
                dt = time.perf_counter() - t0
                out[f"tok_s_{b}"] = b * steps / dt
        print(json.dumps(out))


if __name__ == "__main__":
    main()
