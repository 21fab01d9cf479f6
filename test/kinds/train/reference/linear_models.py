# Reference numbers for test/kinds/train/linear-quality.test.ts (scikit-learn 1.2.1):
#   /usr/bin/python3 test/kinds/train/reference/linear_models.py
# Split: row i (0-based, file order) is held out for testing when i % 5 == 4.
import json, warnings
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, r2_score

warnings.simplefilter('ignore')
D = 'test/fixtures/datasets/'

def split(name, label):
    df = pd.read_csv(D + name + '.csv')
    X = df.drop(columns=[label]).to_numpy(float); y = df[label].to_numpy()
    test = np.arange(len(df)) % 5 == 4
    return X[~test], y[~test], X[test], y[test]

out = {}
for name, label in [('iris', 'species'), ('wine', 'cultivar'), ('breast_cancer', 'malignant')]:
    Xtr, ytr, Xte, yte = split(name, label)
    row = {}
    # lbfgs as sklearn runs it by default, and the exact optimum of the same objective (newton-cg, tight tol)
    for tag, kw in [('lbfgs', dict(max_iter=100, tol=1e-4)), ('optimum', dict(solver='newton-cg', max_iter=10000, tol=1e-10))]:
        m = LogisticRegression(C=1.0, **kw).fit(Xtr, ytr)
        P = m.predict_proba(Xtr)
        # the objective both minimize: summed log-loss + 1/2 * (1/C) * |w|^2
        obj = log_loss(ytr, P, normalize=False) + 0.5 * np.sum(m.coef_ ** 2)
        row[tag] = dict(accuracy=accuracy_score(yte, m.predict(Xte)), n_iter=int(m.n_iter_.max()), objective=obj)
    out[name] = row
Xtr, ytr, Xte, yte = split('diabetes', 'progression')
m = Ridge(alpha=1.0).fit(Xtr, ytr)
out['diabetes'] = dict(r2=r2_score(yte, m.predict(Xte)), coef=m.coef_.tolist(), intercept=float(m.intercept_))
print(json.dumps(out, indent=1))
