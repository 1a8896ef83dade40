"""NumPy .npy / .npz files as numpy writes them, for tests/data/npy_test.cpp: numeric
dtypes, Fortran order, object arrays of paths / None / nested arrays (MegaDepth's
scene_info), np.savez and np.savez_compressed, and pickles of protocol 2 (Python-2-era
files). Writes fixtures/npy/. Run with /usr/bin/python3 -P tests/reference/data_npy.py."""
import os
import pickle

import numpy as np

out = os.path.join(os.path.dirname(__file__), "fixtures", "npy")
os.makedirs(out, exist_ok=True)

f64 = np.arange(12, dtype=np.float64).reshape(3, 4) / 4
arrays = {
    "f32": np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3),
    "f64": f64,
    "i64": np.array([-3, 0, 7, 1 << 40], dtype=np.int64),
    "i32": np.array([-2, 5], dtype=np.int32),
    "u16": np.array([1, 65535], dtype=np.uint16),
    "i8": np.array([-128, 127], dtype=np.int8),
    "bool": np.array([True, False, True]),
    "fortran": np.asfortranarray(f64),
    "scalar": np.array(2.5),
}
paths = np.empty(3, dtype=object)
paths[:] = ["a/b.jpg", None, "c.jpg"]
mats = np.empty(2, dtype=object)
mats[0] = np.eye(3) * 2
mats[1] = np.arange(16, dtype=np.float64).reshape(4, 4)
np.savez(os.path.join(out, "plain.npz"), paths=paths, mats=mats, **arrays)
np.savez_compressed(os.path.join(out, "compressed.npz"), paths=paths, mats=mats, **arrays)
np.save(os.path.join(out, "single.npy"), arrays["f64"])
# An object array pickled with protocol 2 (np.save of Python 2 era: GLOBAL, BINPUT, ...).
with open(os.path.join(out, "protocol2.npy"), "wb") as f:
    np.lib.format.write_array_header_1_0(
        f, {"descr": "|O", "fortran_order": False, "shape": (2,)})
    pickle.dump(mats, f, protocol=2)
print("wrote", out)
