"""A reference safetensors writer and reader in Python, for the tests in
test/torch/safetensors.test.ts.

Debian 12 has no python3-safetensors package, so this follows the Rust crate
(huggingface/safetensors, safetensors/src/tensor.rs: `prepare`, `serialize`,
`Metadata::validate`) that `safetensors.torch.save_file` calls:

- tensors sorted by dtype alignment, descending (the crate's `Dtype` enum
  order), then by name (UTF-8 bytes);
- header: compact JSON, "__metadata__" first, then each tensor as
  {"dtype", "shape", "data_offsets"} in that order; padded with spaces to a
  multiple of 8 bytes; preceded by its length as a little-endian u64;
- data: each tensor's bytes in C order, little-endian, back to back.

The crate writes metadata keys in HashMap (arbitrary) order; this reference
sorts them, as selfsup does.

Usage: /usr/bin/python3 safetensors_ref.py JOBS.json
JOBS.json is {"jobs": [{"op": "write" | "check", "spec": SPEC, "file": PATH}]}
where SPEC is {"tensors": [{"name", "dtype", "shape", "seed", "layout"?,
"specials"?}], "metadata": {str: str} | null}. The same tensors are built on
the TypeScript side from the same SPEC (test/torch/safetensors.test.ts,
`buildTensor`): keep the two in step. Prints one JSON result per job.
"""
import json
import struct
import sys

import numpy as np
import torch

assert sys.byteorder == "little", "the format is little-endian; this reference assumes a little-endian host"

# dtype -> (safetensors name, rank in the crate's Dtype enum order)
FORMATS = {
    torch.int64: ("I64", 9),
    torch.float64: ("F64", 8),
    torch.float32: ("F32", 7),
    torch.int32: ("I32", 6),
    torch.bfloat16: ("BF16", 5),
    torch.float16: ("F16", 4),
    torch.int16: ("I16", 3),
    torch.int8: ("I8", 2),
    torch.uint8: ("U8", 1),
    torch.bool: ("BOOL", 0),
}
BY_NAME = {name: dtype for dtype, (name, _) in FORMATS.items()}
DTYPES = {
    "float64": torch.float64, "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "int64": torch.int64, "int32": torch.int32, "int16": torch.int16, "int8": torch.int8,
    "uint8": torch.uint8, "bool": torch.bool,
}


def values(dtype_name, n, seed, specials):
    """The deterministic values of a spec tensor, flat, as a CPU tensor of the dtype."""
    i = np.arange(n, dtype=np.int64)
    dtype = DTYPES[dtype_name]
    if dtype.is_floating_point:
        v = ((i * 7919 + seed * 131) % 2001 - 1000).astype(np.float64) / 16
        if specials:
            v[:4] = [np.nan, np.inf, -np.inf, -0.0][: min(4, n)]
        return torch.from_numpy(v).to(dtype)
    if dtype == torch.int64:
        return torch.tensor([int(k) * 3000000007123 - 2**60 + seed for k in i], dtype=torch.int64)
    if dtype == torch.int32:
        return torch.from_numpy((i * 7919 * 100003 + seed) % 4294967296 - 2147483648).to(torch.int32)
    if dtype == torch.bool:
        return torch.from_numpy((i * 7919 + seed) % 3 == 0)
    modulus, low = {torch.int16: (65536, -32768), torch.int8: (256, -128), torch.uint8: (256, 0)}[dtype]
    return torch.from_numpy((i * 7919 + seed) % modulus + low).to(dtype)


def build(spec):
    """The tensor a spec describes; `layout` makes it non-contiguous the same way the TS side does."""
    shape = list(spec["shape"])
    layout = spec.get("layout", "contiguous")
    seed = spec.get("seed", 0)
    specials = spec.get("specials", False)
    if layout == "transpose":  # (a, b) as the transpose of a contiguous (b, a)
        base = values(spec["dtype"], shape[0] * shape[1], seed, specials).reshape(shape[1], shape[0])
        return base.t()
    if layout == "narrow":  # the odd positions of a last dimension twice as long
        wide = shape[:-1] + [shape[-1] * 2]
        base = values(spec["dtype"], int(np.prod(wide)), seed, specials).reshape(wide)
        return base.narrow(len(shape) - 1, 1, shape[-1])
    return values(spec["dtype"], int(np.prod(shape)), seed, specials).reshape(shape)


def raw_bytes(t):
    t = t.contiguous()
    if t.numel() == 0:
        return b""
    return t.reshape(-1).view(torch.uint8).numpy().tobytes()


def serialize(tensors, metadata):
    items = sorted(tensors.items(), key=lambda kv: (-FORMATS[kv[1].dtype][1], kv[0].encode("utf-8")))
    header = {}
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items(), key=lambda kv: kv[0].encode("utf-8")))
    chunks = []
    offset = 0
    for name, t in items:
        data = raw_bytes(t)
        header[name] = {"dtype": FORMATS[t.dtype][0], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def load(path):
    """(tensors, metadata, header keys in order), validating as the crate does."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    pairs = json.loads(data[8 : 8 + n].decode("utf-8"), object_pairs_hook=lambda p: p)
    keys = [k for k, _ in pairs]
    assert len(set(keys)) == len(keys), "duplicate keys"
    start = 8 + n
    metadata = None
    tensors = {}
    ranges = []
    for name, info in pairs:
        if name == "__metadata__":
            metadata = dict(info)
            continue
        info = dict(info)
        begin, end = info["data_offsets"]
        dtype = BY_NAME[info["dtype"]]
        if begin == end:
            tensors[name] = torch.empty(info["shape"], dtype=dtype)
        else:
            flat = torch.from_numpy(np.frombuffer(data[start + begin : start + end], dtype=np.uint8).copy())
            tensors[name] = flat.view(dtype).reshape(info["shape"])
        ranges.append((begin, end))
    position = 0
    for begin, end in sorted(ranges):
        assert begin == position, "tensors not packed back to back"
        position = end
    assert start + position == len(data), "data section not covered exactly"
    return tensors, metadata, keys


def check(spec, path):
    tensors, metadata, keys = load(path)
    problems = []
    expected = {t["name"]: build(t) for t in spec["tensors"]}
    if set(tensors) != set(expected):
        problems.append(f"names {sorted(tensors)} != {sorted(expected)}")
    for name, want in expected.items():
        got = tensors.get(name)
        if got is None:
            continue
        if got.dtype != want.dtype or list(got.shape) != list(want.shape):
            problems.append(f"{name}: {got.dtype} {list(got.shape)} != {want.dtype} {list(want.shape)}")
        elif raw_bytes(got) != raw_bytes(want):
            problems.append(f"{name}: values differ: {got.flatten()[:8].tolist()} vs {want.flatten()[:8].tolist()}")
    if metadata != spec.get("metadata"):
        problems.append(f"metadata {metadata} != {spec.get('metadata')}")
    return {"ok": not problems, "problems": problems, "keys": keys}


def main():
    with open(sys.argv[1]) as f:
        jobs = json.load(f)["jobs"]
    results = []
    for job in jobs:
        spec = job["spec"]
        if job["op"] == "write":
            tensors = {t["name"]: build(t) for t in spec["tensors"]}
            with open(job["file"], "wb") as f:
                f.write(serialize(tensors, spec.get("metadata")))
            results.append({"ok": True})
        else:
            results.append(check(spec, job["file"]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
