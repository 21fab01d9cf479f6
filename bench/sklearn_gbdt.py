# scikit-learn side of src/bench/train-gbdt.ts: the same synthetic matrix (same formula),
# HistGradientBoostingRegressor / Classifier (max_iter=max_iter, early_stopping=False) fit times.
#   python3 bench/sklearn_gbdt.py [rows] [features] [max_iter]   -> one JSON line per case
# seconds is wall time, cpuSeconds the process's CPU time (all threads); set OMP_NUM_THREADS
# to the thread count ortq uses for a like-for-like comparison.
import json, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier as C, HistGradientBoostingRegressor as R

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
d = int(sys.argv[2]) if len(sys.argv) > 2 else 30
max_iter = int(sys.argv[3]) if len(sys.argv) > 3 else 100
i = np.arange(1, rows + 1, dtype=np.float64)[:, None]
j = np.arange(d, dtype=np.float64)[None, :]
s = np.sin(i * (j + 1) * 12.9898 + j * 78.233) * 43758.5453
X = np.ascontiguousarray((s - np.floor(s)) * 2 - 1)
del s
z = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2] + 0.5 * X[:, 3] + 0.3 * X[:, 4] ** 2
cases = [
    ('gbdt-regression', R(max_iter=max_iter, early_stopping=False), z),
    ('gbdt-binary', C(max_iter=max_iter, early_stopping=False), (z > 0.15).astype(int)),
    ('gbdt-multiclass', C(max_iter=max_iter, early_stopping=False), (z > -0.2).astype(int) + (z > 0.6)),
]
for name, model, y in cases:
    t, c = time.perf_counter(), time.process_time()
    model.fit(X, y)
    print(json.dumps(dict(trainer=name, rows=rows, features=d, seconds=time.perf_counter() - t,
                          cpuSeconds=time.process_time() - c, iterations=int(model.n_iter_))), flush=True)
