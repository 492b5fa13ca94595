"""PyTorch eager version of bench/seq2seq.cpp's training step, for bench/compare_libtorch.sh.

    python3 bench/seq2seq_torch.py B T H E V STEPS [THREADS]

GRU encoder, Bahdanau attention decoder, teacher forcing, cross-entropy, Adam (lr 1e-3); 3
warm-up steps, then the mean over STEPS, printed as "... X.XXX ms/step loss=... peak_rss=...MB
cpu=X.XXXms/step" like the C++ programs. THREADS defaults to 1. Needs PyTorch (Debian:
python3-torch). Lesson 06 introduces the model.
"""
import resource
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn


class Attention(nn.Module):
    """score_j = v^T tanh(W s + U h_j); the weights are softmax(score); context = sum_j w_j h_j."""

    def __init__(self, hidden):
        super().__init__()
        self.W = nn.Linear(hidden, hidden, bias=False)
        self.U = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, 1, bias=False)

    def context(self, s, states, keys):
        energy = torch.tanh(self.W(s).unsqueeze(1) + keys)      # [B, T, H]
        weights = torch.softmax(self.v(energy).squeeze(2), 1)    # [B, T]
        return torch.bmm(weights.unsqueeze(1), states).squeeze(1)  # [B, H]


class Seq2Seq(nn.Module):
    """The modules of bench/seq2seq.cpp, under the same names."""

    def __init__(self, hidden, embed, vocab):
        super().__init__()
        self.enc_emb = nn.Embedding(vocab, embed)
        self.dec_emb = nn.Embedding(vocab, embed)
        self.enc_cell = nn.GRUCell(embed, hidden)
        self.dec_cell = nn.GRUCell(embed + hidden, hidden)
        self.attn = Attention(hidden)
        self.out = nn.Linear(2 * hidden, vocab)


def main():
    if len(sys.argv) < 7:
        sys.exit("usage: seq2seq_torch.py B T H E V STEPS [THREADS]")
    B, T, H, E, V, STEPS = (int(a) for a in sys.argv[1:7])
    threads = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    torch.set_num_interop_threads(1)
    torch.set_num_threads(threads)
    torch.manual_seed(0)

    model = Seq2Seq(H, E, V)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    src = torch.randint(V, (B, T))
    tgt = torch.randint(V, (B, T + 1))
    dec_in, dec_out = tgt[:, :T], tgt[:, 1:].reshape(-1)

    def step():
        e = model.enc_emb(src)  # [B, T, E]
        h = torch.zeros(B, H)
        hs = []
        for t in range(T):
            h = model.enc_cell(e[:, t], h)
            hs.append(h)
        states = torch.stack(hs, 1)  # [B, T, H]
        keys = model.attn.U(states)
        d = model.dec_emb(dec_in)
        logits = []
        for t in range(T):  # teacher forcing: the decoder reads the true previous token
            context = model.attn.context(h, states, keys)
            h = model.dec_cell(torch.cat([d[:, t], context], 1), h)
            logits.append(model.out(torch.cat([h, context], 1)))
        loss = F.cross_entropy(torch.stack(logits, 1).reshape(-1, V), dec_out)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for _ in range(3):
        step()
    t0, c0 = time.perf_counter(), time.process_time()  # wall time, and CPU time of every thread
    for _ in range(STEPS):
        loss = step()
    dt = (time.perf_counter() - t0) / STEPS
    cpu = (time.process_time() - c0) / STEPS
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: in KiB
    print(f"torch-eager B={B} T={T} H={H} E={E} V={V} threads={threads}: {dt * 1e3:.3f} ms/step loss={loss:.4f}"
          f" peak_rss={peak_rss:.1f}MB cpu={cpu * 1e3:.3f}ms/step")


if __name__ == "__main__":
    main()
