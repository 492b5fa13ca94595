"""The Glimpse Seq2seq (GRU encoder + Bahdanau attention decoder, nn/seq2seq.hpp) written in
PyTorch, module for module, so a Glimpse checkpoint loads into it unchanged.

    python3 seq2seq_torch.py MODEL.safetensors RUN.json

RUN.json (written by tests/nn/torch_interop_test.cpp) holds the sizes, a batch (source ids,
lengths, decoder input ids) and what Glimpse computed on it: the logits, the attention weights and
the encoder's final state. This script loads MODEL.safetensors with tools/glimpse_checkpoint.py,
load_state_dict(strict=True) — every name must match, none may be left over — runs the batch in
float64 and exits non-zero, naming the output, unless every value is within 1e-5 of Glimpse's.
Exit code 77: torch is not installed (the test then skips).
"""
import json
import os
import sys

try:
    import torch
    import torch.nn as nn
except ImportError:
    print("seq2seq_torch.py: no torch (Debian: apt-get install python3-torch)", file=sys.stderr)
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import glimpse_checkpoint  # noqa: E402

TOLERANCE = 1e-5


class Encoder(nn.Module):
    def __init__(self, vocab, embedding_dim, hidden, bidirectional):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim, padding_idx=0)
        self.gru = nn.GRU(embedding_dim, hidden, batch_first=True, bidirectional=bidirectional)

    def forward(self, source, lengths):
        # Packed sequences: each direction stops (or starts) at the last real token, as Glimpse's mask does.
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(source), lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, h_n = self.gru(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=source.shape[1])
        return states, torch.cat(list(h_n), dim=1)  # final: both directions side by side


class BahdanauAttention(nn.Module):
    def __init__(self, dec_hidden, enc_hidden, attn_dim):
        super().__init__()
        self.W = nn.Linear(dec_hidden, attn_dim, bias=False)
        self.U = nn.Linear(enc_hidden, attn_dim)
        self.v = nn.Linear(attn_dim, 1, bias=False)

    def forward(self, s, hs, keys, padding):
        scores = self.v(torch.tanh(self.W(s).unsqueeze(1) + keys)).squeeze(2)  # vᵀ tanh(W s + U h_j)
        weights = torch.softmax(scores.masked_fill(padding, float("-inf")), dim=1)
        return torch.bmm(weights.unsqueeze(1), hs).squeeze(1), weights


class AttentionDecoder(nn.Module):
    def __init__(self, vocab, embedding_dim, hidden, attn_dim):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embedding_dim, padding_idx=0)
        self.attention = BahdanauAttention(hidden, hidden, attn_dim)
        self.cell = nn.GRUCell(embedding_dim + hidden, hidden)
        self.out = nn.Linear(2 * hidden, vocab)

    def forward(self, decoder_input, states, final, padding):
        keys = self.attention.U(states)
        embedded = self.embedding(decoder_input)
        h, logits, attention = final, [], []
        for t in range(decoder_input.shape[1]):  # teacher forcing
            context, weights = self.attention(h, states, keys, padding)
            h = self.cell(torch.cat([embedded[:, t], context], dim=1), h)
            logits.append(self.out(torch.cat([h, context], dim=1)))
            attention.append(weights)
        return torch.stack(logits, 1), torch.stack(attention, 1)


class Seq2seq(nn.Module):
    def __init__(self, vocab, embedding_dim, hidden, bidirectional, attn_dim):
        super().__init__()
        self.encoder = Encoder(vocab, embedding_dim, hidden, bidirectional)
        E = 2 * hidden if bidirectional else hidden
        self.decoder = AttentionDecoder(vocab, embedding_dim, E, attn_dim)

    def forward(self, source, lengths, decoder_input):
        states, final = self.encoder(source, lengths)
        padding = torch.arange(source.shape[1]).unsqueeze(0) >= lengths.unsqueeze(1)
        logits, attention = self.decoder(decoder_input, states, final, padding)
        return {"logits": logits, "attention": attention, "final": final}


def tensor(entry):
    return torch.tensor(entry["data"], dtype=torch.float64).reshape(entry["shape"])


def main(checkpoint, run_path):
    with open(run_path) as f:
        run = json.load(f)
    s = run["sizes"]
    model = Seq2seq(s["vocab"], s["embedding"], s["hidden"], s["bidirectional"], s["attention"])
    state = glimpse_checkpoint.load_state_dict(checkpoint)
    model.load_state_dict(state, strict=True)  # raises, naming them, if any name is missing or unexpected
    model.double().eval()
    with torch.no_grad():
        out = model(torch.tensor(run["source"]), torch.tensor(run["lengths"]), torch.tensor(run["decoder_input"]))
    worst = 0.0
    for name, value in out.items():
        expected = tensor(run[name])
        if list(value.shape) != list(expected.shape):
            print(f"{name}: torch shape {list(value.shape)}, Glimpse {list(expected.shape)}", file=sys.stderr)
            return 1
        diff = ((value - expected).abs() / (1.0 + expected.abs())).max().item()
        print(f"{name} {list(value.shape)}: largest difference {diff:.2e}")
        worst = max(worst, diff)
        if not diff <= TOLERANCE:
            print(f"{name}: torch and Glimpse differ by {diff:.3g} (> {TOLERANCE})", file=sys.stderr)
            return 1
    print(f"{len(state)} tensors loaded with strict=True; outputs agree within {TOLERANCE} (worst {worst:.2e})")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: seq2seq_torch.py MODEL.safetensors RUN.json", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    except Exception as e:  # noqa: BLE001 - any failure (a name mismatch included) fails the test, with its message
        print(f"seq2seq_torch.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
