"""Independent reference for research/demo/induction-sanity.ts: the same gap-copy task with a
Qwen-style PyTorch model (RMSNorm, RoPE 1e4, SwiGLU, tied embeddings, init std 0.02, d=128,
2 layers, 4 heads, AdamW b2=0.95, clip 1, lr warm-up 20). Does a content-matching induction
head form within N steps here? Usage: python3 torch_induction.py [gap] [lr] [steps] [alphabet]"""
import sys, math, time, torch
torch.set_num_threads(1); torch.manual_seed(1)
gap = int(sys.argv[1]) if len(sys.argv) > 1 else 32
lr = float(sys.argv[2]) if len(sys.argv) > 2 else 3e-3
steps = int(sys.argv[3]) if len(sys.argv) > 3 else 800
A = int(sys.argv[4]) if len(sys.argv) > 4 else 160
half = int(sys.argv[5]) if len(sys.argv) > 5 else 48
B = int(sys.argv[6]) if len(sys.argv) > 6 else 8
STD = float(sys.argv[7]) if len(sys.argv) > 7 else 0.02
UNTIED = len(sys.argv) > 9 and sys.argv[9] == 'untied'
ZERO_UNUSED = len(sys.argv) > 9 and sys.argv[9] == 'zero-unused'
MASK_UNUSED = len(sys.argv) > 9 and sys.argv[9] == 'mask-unused'
MASK_UNTIL = int(sys.argv[12]) if len(sys.argv) > 12 else 10**9
mask_on = [True]
d = int(sys.argv[10]) if len(sys.argv) > 10 else 128
H = int(sys.argv[11]) if len(sys.argv) > 11 else 4
L = 2
V = int(sys.argv[8]) if len(sys.argv) > 8 else A + 11; BOS = A + 10; hd = d // H

class RMSNorm(torch.nn.Module):
    def __init__(s, n, eps=1e-6):
        super().__init__(); s.weight = torch.nn.Parameter(torch.ones(n)); s.eps = eps
    def forward(s, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + s.eps) * s.weight

def sdpa(q, k, v):
    T = q.shape[-2]
    att = (q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    att = att.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float('-inf'))
    return torch.softmax(att, -1) @ v

class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = RMSNorm(d, eps=1e-6); s.n2 = RMSNorm(d, eps=1e-6)
        s.qkv = torch.nn.Linear(d, 3 * d); s.o = torch.nn.Linear(d, d, bias=False)
        s.gu = torch.nn.Linear(d, 2 * 352, bias=False); s.dn = torch.nn.Linear(352, d, bias=False)
    def forward(s, x, cos, sin):
        Bn, T, _ = x.shape
        q, k, v = s.qkv(s.n1(x)).view(Bn, T, 3, H, hd).permute(2, 0, 3, 1, 4)
        def rope(t):
            t1, t2 = t[..., : hd // 2], t[..., hd // 2 :]
            return torch.cat([t1 * cos - t2 * sin, t2 * cos + t1 * sin], -1)
        y = sdpa(rope(q), rope(k), v)
        x = x + s.o(y.transpose(1, 2).reshape(Bn, T, d))
        g, u = s.gu(s.n2(x)).chunk(2, -1)
        return x + s.dn(torch.nn.functional.silu(g) * u)

class M(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = torch.nn.Embedding(V, d); s.blocks = torch.nn.ModuleList([Block() for _ in range(L)]); s.nf = RMSNorm(d, eps=1e-6)
        s.head = torch.nn.Linear(d, V, bias=False) if UNTIED else None
        for p in s.parameters():
            if p.dim() > 1: torch.nn.init.normal_(p, std=STD)
        if ZERO_UNUSED:
            with torch.no_grad(): s.emb.weight[A + 11:] = 0
            
    def forward(s, ids):
        T = ids.shape[1]
        inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
        f = torch.outer(torch.arange(T).float(), inv); cos, sin = f.cos(), f.sin()
        x = s.emb(ids)
        for b in s.blocks: x = b(x, cos, sin)
        out = s.head(s.nf(x)) if UNTIED else s.nf(x) @ s.emb.weight.T
        if MASK_UNUSED and mask_on[0]: out = out.masked_fill(torch.arange(V) >= A + 11, float('-inf'))
        return out

def doc():
    a = torch.randint(0, A, (half,)); g = torch.randint(A, A + 10, (int(torch.randint(0, gap + 1, ())),))
    return torch.cat([torch.tensor([BOS]), a, g, a])
def batch(n):
    ds = [doc() for _ in range(n)]; T = max(len(x) for x in ds)
    ids = torch.full((n, T), BOS); 
    for i, x in enumerate(ds): ids[i, : len(x)] = x
    return ids, [len(x) for x in ds]
m = M(); opt = torch.optim.AdamW(m.parameters(), lr=lr, betas=(0.9, 0.95), eps=1e-8, weight_decay=0)
probe, plen = batch(8); t0 = time.time()
for s in range(steps):
    mask_on[0] = s < MASK_UNTIL
    ids, lens = batch(B)
    logits = m(ids[:, :-1]); tgt = ids[:, 1:].clone()
    for i, n in enumerate(lens): tgt[i, n - 1 :] = -100
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), tgt.reshape(-1), ignore_index=-100)
    for gp in opt.param_groups: gp["lr"] = lr * min(1, (s + 1) / 20)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if (s + 1) % 25 == 0:
        with torch.no_grad():
            lp = torch.log_softmax(m(probe[:, :-1]), -1); a = b = 0.0; na = nb = 0
            for i, n in enumerate(plen):
                nl = -lp[i, torch.arange(n - 1), probe[i, 1:n]]
                a += nl[:half].sum().item(); na += half; b += nl[n - 1 - half :].sum().item(); nb += half
        print(f"step={s+1} loss first half={a/na:.3f} second half={b/nb:.3f} t={time.time()-t0:.0f}s", flush=True)
