"""Loads a Glimpse checkpoint (nn::save) as a PyTorch state_dict.

    import glimpse_checkpoint
    state = glimpse_checkpoint.load_state_dict("model.safetensors")
    torch_model.load_state_dict(state)          # names are PyTorch's: encoder.gru.weight_ih_l0, ...

    python3 tools/glimpse_checkpoint.py model.safetensors              # lists names and shapes
    python3 tools/glimpse_checkpoint.py model.safetensors model.pt     # torch.save(state_dict)

Needs only the Python standard library and torch (Debian 12: python3-torch). The safetensors
layout is read directly (Debian 12 has no safetensors package):
    8 bytes   N, the header's length, a little-endian uint64
    N bytes   a JSON header {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
              "__metadata__": {...}}
    the rest  raw little-endian float32 values; offsets count from the end of the header
The file is checked as nn::load checks it: a glimpse_checkpoint.Error names the problem.
"""
import collections
import json
import struct
import sys

import torch

MAX_HEADER_BYTES = 100 * 1024 * 1024


class Error(ValueError):
    pass


def load_state_dict(path):
    """An OrderedDict of name -> float32 torch.Tensor, in the order of the data in the file."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise Error(f"{path}: {len(raw)} bytes, too short for the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > min(len(raw) - 8, MAX_HEADER_BYTES):
        raise Error(f"{path}: header length {n} does not fit in the file ({len(raw)} bytes)")
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise Error(f"{path}: the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise Error(f"{path}: the header is not a JSON object")
    data = raw[8 + n:]
    entries = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or entry.get("dtype") != "F32":
            raise Error(f"{path}: tensor '{name}' is not F32 (Glimpse writes float32 only)")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            raise Error(f"{path}: tensor '{name}' has a bad shape {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            raise Error(f"{path}: tensor '{name}' has bad data_offsets {offsets!r}")
        entries.append((offsets[0], offsets[1], name, shape))
    entries.sort()
    state = collections.OrderedDict()
    expected_begin = 0
    for begin, end, name, shape in entries:
        count = 1
        for d in shape:
            count *= d
        if begin != expected_begin or end - begin != 4 * count:
            raise Error(f"{path}: tensor '{name}' {shape} has data_offsets [{begin}, {end}], expected "
                        f"[{expected_begin}, {expected_begin + 4 * count}]")
        if end > len(data):
            raise Error(f"{path}: tensor '{name}' ends at data byte {end}, but the file holds only {len(data)} "
                        f"(truncated?)")
        expected_begin = end
        # frombuffer needs a writable buffer; clone() gives the tensor storage of its own.
        values = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32) if count else torch.zeros(0)
        state[name] = values.reshape(shape).clone()
    if expected_begin != len(data):
        raise Error(f"{path}: {len(data) - expected_begin} bytes after the last tensor")
    return state


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: glimpse_checkpoint.py MODEL.safetensors [OUT.pt]", file=sys.stderr)
        return 2
    try:
        state = load_state_dict(argv[1])
    except (OSError, Error) as e:
        print(f"glimpse_checkpoint.py: {e}", file=sys.stderr)
        return 1
    for name, t in state.items():
        print(f"{name}\t{list(t.shape)}")
    if len(argv) == 3:
        torch.save(state, argv[2])
        print(f"saved the state_dict to {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
