import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * scikit-learn's own in-memory `predict` on models shaped like the bench's
 * (fitted on random data: the work per row depends on the shape, not the
 * weights), for the comparison issue 10 asks for. Skipped (null) when no
 * python3 with scikit-learn is installed. Nothing in ortq needs Python.
 */
const SCRIPT = String.raw`
import json, sys, time
import numpy as np
from sklearn.neural_network import MLPRegressor
from sklearn.ensemble import RandomForestRegressor, GradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
rows = int(sys.argv[1])
rng = np.random.default_rng(0)
def fit_x(k, n=2000): return rng.standard_normal((n, k)).astype(np.float32)
models = {
  "mlp": (MLPRegressor(hidden_layer_sizes=(64, 32), max_iter=5).fit(fit_x(64), rng.standard_normal((2000, 10))), 64),
  "forest": (RandomForestRegressor(n_estimators=50, max_depth=8, n_jobs=1, random_state=0).fit(fit_x(4), rng.standard_normal(2000)), 4),
  "logistic": (LogisticRegression(max_iter=50).fit(fit_x(30), rng.integers(0, 2, 2000)), 30),
  "gbdt": (GradientBoostingRegressor(n_estimators=60, max_depth=3, random_state=0).fit(fit_x(30), rng.standard_normal(2000)), 30),
}
out = {}
for name, (m, k) in models.items():
  x = rng.standard_normal((rows, k)).astype(np.float32)
  m.predict(x[:1000])
  t = time.perf_counter()
  (m.predict_proba if name == "logistic" else m.predict)(x)
  out[name] = rows / (time.perf_counter() - t)
print(json.dumps(out))
`;

export type SklearnCase = 'mlp' | 'forest' | 'logistic' | 'gbdt';

/** Rows per second of scikit-learn's predict per case, in memory, or null when unavailable. */
export function sklearnRates(rows: number, python = '/usr/bin/python3'): Record<SklearnCase, number> | null {
  if (!existsSync(python)) return null;
  const r = spawnSync(python, ['-c', SCRIPT, String(rows)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
  if (r.status !== 0) {
    process.stderr.write(`scikit-learn figures skipped: ${(r.stderr || '').trim().split('\n').pop() ?? 'python3 failed'}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<SklearnCase, number>;
}
