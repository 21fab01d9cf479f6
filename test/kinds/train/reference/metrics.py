# Reference values for test/kinds/train/metrics.test.ts: /usr/bin/python3 test/kinds/train/reference/metrics.py (scikit-learn 1.2.1)
import numpy as np, json
from sklearn import metrics as M
# binary: n = 40, p1 has ties and the extremes 0 and 1
n = 40
p1 = np.array([((i * 37) % 11) / 10 for i in range(n)])
y = np.array([1 if ((i * 13) % 7 < 3) != (i % 6 == 0) else 0 for i in range(n)])
y = np.where(p1 > 0.75, 1, np.where(p1 < 0.15, 0, y))
pred = (p1 >= 0.5).astype(int)
P = np.stack([1 - p1, p1], axis=1)
out = {}
out['binary'] = dict(accuracy=M.accuracy_score(y, pred), balanced_accuracy=M.balanced_accuracy_score(y, pred),
  precision=M.precision_score(y, pred), recall=M.recall_score(y, pred), f1=M.f1_score(y, pred),
  precision_macro=M.precision_score(y, pred, average='macro'), recall_macro=M.recall_score(y, pred, average='macro'),
  f1_macro=M.f1_score(y, pred, average='macro'), roc_auc=M.roc_auc_score(y, p1), log_loss=M.log_loss(y, P),
  log_loss_f32=float(M.log_loss(y, P.astype(np.float32))), brier=M.brier_score_loss(y, p1))
# multiclass: k = 3, n = 30
n, k = 30, 3
A = np.array([[((i * (j + 3) * 7 + j * 5) % 10) + 1 for j in range(k)] for i in range(n)], dtype=float)
P = A / A.sum(axis=1, keepdims=True)
y = np.array([(i * 5 + i // 4) % 3 for i in range(n)])
pred = P.argmax(axis=1)
out['multi'] = dict(accuracy=M.accuracy_score(y, pred), balanced_accuracy=M.balanced_accuracy_score(y, pred),
  precision_macro=M.precision_score(y, pred, average='macro'), recall_macro=M.recall_score(y, pred, average='macro'),
  f1_macro=M.f1_score(y, pred, average='macro'), roc_auc=M.roc_auc_score(y, P, multi_class='ovr'),
  log_loss=M.log_loss(y, P), brier=float(np.mean(np.sum((np.eye(k)[y] - P) ** 2, axis=1))))
# zero division: class 3 predicted but never true, class 2 true but never predicted
y = np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 0])
pred = np.array([0, 3, 1, 0, 1, 0, 3, 1, 1, 0])
out['zero'] = dict(accuracy=M.accuracy_score(y, pred), balanced_accuracy=M.balanced_accuracy_score(y, pred),
  precision_macro=M.precision_score(y, pred, average='macro'), recall_macro=M.recall_score(y, pred, average='macro'),
  f1_macro=M.f1_score(y, pred, average='macro'))
yb = np.array([0, 0, 1, 1]); pb = np.array([0, 0, 0, 0])
out['zero_binary'] = dict(precision=M.precision_score(yb, pb), recall=M.recall_score(yb, pb), f1=M.f1_score(yb, pb))
# regression
n = 25
yr = np.array([((i * 17) % 13) - 4.0 for i in range(n)])
yh = np.array([yr[i] + ((i * 7) % 5 - 2) * 0.3 for i in range(n)])
out['regression'] = dict(rmse=M.mean_squared_error(yr, yh, squared=False), mae=M.mean_absolute_error(yr, yh),
  r2=M.r2_score(yr, yh), mape=M.mean_absolute_percentage_error(yr, yh),
  r2_const_exact=M.r2_score([2.0, 2.0], [2.0, 2.0]), r2_const=M.r2_score([2.0, 2.0], [2.0, 3.0]))
# clipping: confidently wrong rows, float64 (eps 2^-52) and float32 (eps 2^-23)
yc = np.array([1, 0, 1, 0]); Pc = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.5, 0.5]])
out['clip'] = dict(log_loss=M.log_loss(yc, Pc), log_loss_f32=float(M.log_loss(yc, Pc.astype(np.float32))))
print(json.dumps(out, indent=1))
