#!/usr/bin/env python3
"""Lesson 13's GPT trained by PyTorch: the same corpus, split, model, batch, steps, optimiser and
learning rate as `build/lessons/13_gpt` with its defaults, on one thread (--threads N: N). Prints the validation
loss every --eval-every steps and the wall and CPU time of the training steps (without the evaluations),
to set beside the lesson's own figures (bench/RESULTS.md, docs/lessons/13_gpt.md).

    /usr/bin/python3 bench/gpt_torch.py               # Debian's fortunes (apt-get install fortunes)
    /usr/bin/python3 bench/gpt_torch.py --corpus FILE

What is the same: the text (nn/char_corpus.cpp's reading of the fortunes, re-written below), the
vocabulary (every byte, in byte order), the split (the last 10% validates), the validation windows
(the first --eval-windows consecutive windows of the validation part), the model (nn/gpt.hpp:
nanoGPT's layout and init, exact GELU, untied lm_head, no dropout) and torch.optim.Adam with
Glimpse's defaults. What differs: the random numbers. Glimpse's generator is not torch's, so the
initial weights and the training windows are other draws from the same distributions; compare
the losses as two runs of one recipe, not bit for bit.
"""
import argparse
import math
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

FORTUNES = "/usr/share/games/fortunes"


def read_fortunes(folder):
    """nn::read_fortunes: regular files directly in the folder, by name, minus *.dat and *.u8;
    entries separated by lines holding only "%"; each entry with text, then an empty line."""
    names = sorted(
        n for n in os.listdir(folder)
        if not os.path.islink(os.path.join(folder, n)) and os.path.isfile(os.path.join(folder, n))
        and not n.endswith(".dat") and not n.endswith(".u8"))
    text = bytearray()
    used = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()  # the text after the last newline is empty: no line
        entries, entry = 0, bytearray()

        def flush():
            nonlocal entries, entry
            if entry.strip(b" \t\r\n"):
                text.extend(entry + b"\n")
                entries += 1
            entry = bytearray()

        for line in lines:
            if line == b"%":
                flush()
            else:
                entry.extend(line + b"\n")
        flush()
        if entries:
            used.append(name)
    return used, bytes(text)


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(n_embd)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.attn_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)

    def attn(self, x):
        B, T, E = x.shape
        H = self.n_head
        q, k, v = self.c_attn(x).split(E, dim=2)
        q, k, v = (t.view(B, T, H, E // H).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(E // H)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        weights = F.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
        return self.attn_proj((weights @ v).transpose(1, 2).reshape(B, T, E))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer, n_head, n_embd):
        super().__init__()
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        for name, p in self.named_parameters():  # nn::GPT's init, nanoGPT's
            if "ln_" in name:
                continue
            if name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def loss(self, idx, targets):
        T = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", help="a text file instead of the fortunes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--embd", type=int, default=64)
    p.add_argument("--block", type=int, default=32)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--eval-windows", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (and OpenBLAS's, via torch)")
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.corpus:
        with open(args.corpus, "rb") as f:
            files, text = [os.path.basename(args.corpus)], f.read()
    else:
        files, text = read_fortunes(FORTUNES)
    chars = sorted(set(text))
    table = {b: i for i, b in enumerate(chars)}
    ids = torch.tensor([table[b] for b in text], dtype=torch.long)
    n_val = int(len(ids) * 0.1)
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val:]
    T = args.block
    count = min(args.eval_windows, (len(val) - 1) // T)
    val_x = torch.stack([val[i * T: i * T + T] for i in range(count)])
    val_y = torch.stack([val[i * T + 1: i * T + T + 1] for i in range(count)])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    print(f"corpus: {len(files)} files, {len(text)} characters, vocabulary {len(chars)}; "
          f"train {len(train)}, validation {len(val)} ({count} windows of {T})")

    model = GPT(len(chars), T, args.layers, args.heads, args.embd)
    print(f"parameters: {sum(p.numel() for p in model.parameters())}")
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    def validation_loss():
        with torch.no_grad():
            return model.loss(val_x, val_y).item()

    print(f"step {0:>5}  validation loss {validation_loss():.4f}")
    training = cpu = 0.0
    for step in range(1, args.steps + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        starts = torch.randint(len(train) - T, (args.batch,))
        x = torch.stack([train[s: s + T] for s in starts])
        y = torch.stack([train[s + 1: s + T + 1] for s in starts])
        loss = model.loss(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()
        training += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
        if step % args.eval_every == 0 or step == args.steps:
            print(f"step {step:>5}  validation loss {validation_loss():.4f}")
    print(f"the steps alone (without the evaluations): {training:.2f} s, {1000 * training / args.steps:.1f} ms each "
          f"({1000 * cpu / args.steps:.1f} ms of CPU time)")


if __name__ == "__main__":
    main()
