# scikit-learn side of src/bench/train-linear.ts: the same synthetic data (bit for bit),
# Ridge(alpha=1.0) and LogisticRegression(C=1.0) (lbfgs, max_iter=100, tol=1e-4) fit times.
#   python3 bench/sklearn_linear.py [rows] [features]   -> one JSON line per trainer
# seconds is wall time, cpuSeconds the process's CPU time (all threads). For a like-for-like
# comparison with ortq's single-threaded fit: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1.
import json, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge

def hash_uniform(i, j):
    # murmur3's finalizer over i ^ (j * golden ratio), uint32 arithmetic (wraps as Math.imul)
    h = (i.astype(np.uint32) ^ np.uint32((j * 0x9E3779B9) & 0xFFFFFFFF))
    h ^= h >> np.uint32(16)
    h = h * np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h = h * np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h.astype(np.float64) / 4294967296.0

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
d = int(sys.argv[2]) if len(sys.argv) > 2 else 30
i = np.arange(rows, dtype=np.uint64)
X = np.empty((rows, d))
z = np.zeros(rows)
with np.errstate(over='ignore'):
    for j in range(d):
        scale = 1 + j % 5
        beta = ((7 * j) % 11 - 5) / 5
        X[:, j] = (2 * hash_uniform(i, j) - 1) * scale
        z += beta * X[:, j] / scale
    noise = hash_uniform(i, d)
cases = [
    ('linear', Ridge(alpha=1.0), z + 0.5 * (noise - 0.5)),
    ('logistic', LogisticRegression(C=1.0), (noise < 1 / (1 + np.exp(-z))).astype(int)),
    ('logistic3', LogisticRegression(C=1.0), np.clip(np.floor(3 * noise) + np.where(z > 1, 1, np.where(z < -1, -1, 0)), 0, 2).astype(int)),
]
for name, model, y in cases:
    t, c = time.perf_counter(), time.process_time()
    model.fit(X, y)
    out = dict(trainer=name, rows=rows, features=d, seconds=time.perf_counter() - t, cpuSeconds=time.process_time() - c)
    if hasattr(model, 'n_iter_') and model.n_iter_ is not None:
        out['iterations'] = int(np.max(model.n_iter_))
    print(json.dumps(out), flush=True)
