"""Reference for tensor/math/philox.h: a plain Python Philox4x32-10, checked against the
Random123 known-answer vectors (kat_vectors), then used to write fixtures/random.h5 with
the words, uniforms and normals of sp's stream layout for a few (seed, offset) pairs.
Run with /usr/bin/python3."""
import math
import os
import sys

# This file's name shadows the standard `random` module that numpy imports: drop its
# folder from the module search path first.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import h5py
import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c = list(ctr)
    k0, k1 = key
    for _ in range(10):
        p0 = M0 * c[0]
        p1 = M1 * c[2]
        hi0, lo0 = p0 >> 32, p0 & MASK
        hi1, lo1 = p1 >> 32, p1 & MASK
        c = [hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0]
        k0 = (k0 + W0) & MASK
        k1 = (k1 + W1) & MASK
    return c


# Random123 kat_vectors for philox4x32 with 10 rounds.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((MASK, MASK, MASK, MASK), (MASK, MASK), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]
for ctr, key, want in KAT:
    got = philox4x32_10(ctr, key)
    assert tuple(got) == want, (ctr, key, [hex(v) for v in got])


def stream_block(seed, offset, block):
    b = offset + block
    return philox4x32_10((b & MASK, b >> 32, 0, 0), (seed & MASK, seed >> 32))


def words(seed, offset, n):
    return [stream_block(seed, offset, i // 4)[i % 4] for i in range(n)]


def normals(seed, offset, n):
    out = []
    for i in range(n):
        b = stream_block(seed, offset, i // 4)
        pair = (i % 4) & ~1
        u1 = ((b[pair] >> 8) + 1) / 16777216.0
        u2 = (b[pair + 1] >> 8) / 16777216.0
        r = math.sqrt(-2.0 * math.log(u1))
        out.append(r * (math.sin(2 * math.pi * u2) if i % 2 else math.cos(2 * math.pi * u2)))
    return out


out = {"kat_ctr": np.array([k[0] for k in KAT], dtype=np.int64),
       "kat_key": np.array([k[1] for k in KAT], dtype=np.int64),
       "kat_out": np.array([k[2] for k in KAT], dtype=np.int64)}
for seed, offset in [(0, 0), (42, 7), (0x123456789ABCDEF0, (1 << 32) + 3)]:
    tag = f"s{seed}_o{offset}"
    w = words(seed, offset, 11)
    out[f"words_{tag}"] = np.array(w, dtype=np.int64)
    out[f"uniform_{tag}"] = np.array([(v >> 8) / 16777216.0 for v in w], dtype=np.float64)
    out[f"normal_{tag}"] = np.array(normals(seed, offset, 11), dtype=np.float64)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "random.h5")
with h5py.File(path, "w") as f:
    for k, v in out.items():
        f.create_dataset(k, data=v)
print("philox4x32_10 known-answer vectors: OK")
