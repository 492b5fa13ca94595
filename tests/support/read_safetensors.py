"""Reads a safetensors file the way PyTorch users would, to prove Glimpse's checkpoints are valid.

    python3 read_safetensors.py MODEL.safetensors OUT.json

Parses the layout by hand (8-byte little-endian header length, JSON header, raw little-endian
float32 data), checks what the safetensors library checks (dtype, offsets tile the data exactly),
decodes each tensor with torch when it is installed (struct otherwise), cross-checks with the
safetensors package when it is installed, and writes {name: {"shape": [...], "data": [...]}}.
Exits non-zero with a message on any problem.
"""
import json
import struct
import sys


def main(path, out_path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    entries = sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                     key=lambda kv: kv[1]["data_offsets"][0])
    expected_begin = 0
    out = {}
    for name, e in entries:
        begin, end = e["data_offsets"]
        assert e["dtype"] == "F32", f"{name}: dtype {e['dtype']}"
        count = 1
        for d in e["shape"]:
            count *= d
        assert begin == expected_begin, f"{name}: starts at {begin}, expected {expected_begin}"
        assert end - begin == 4 * count, f"{name}: {end - begin} bytes for {count} floats"
        expected_begin = end
        chunk = data[begin:end]
        try:
            import torch
            values = torch.frombuffer(bytearray(chunk), dtype=torch.float32).reshape(e["shape"]).flatten().tolist()
        except ImportError:
            values = list(struct.unpack(f"<{count}f", chunk))
        out[name] = {"shape": e["shape"], "data": values}
    assert expected_begin == len(data), f"{len(data) - expected_begin} bytes after the last tensor"
    try:
        from safetensors.numpy import load_file
        loaded = load_file(path)
        for name, arr in loaded.items():
            assert list(arr.shape) == out[name]["shape"] and arr.flatten().tolist() == out[name]["data"], name
    except ImportError:
        pass
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except Exception as e:  # noqa: BLE001 - report anything as a failure
        print(f"read_safetensors.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
