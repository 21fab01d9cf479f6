#!/usr/bin/env python3
"""A command trainer for ortq: scikit-learn LogisticRegression, exported to ONNX-ML.

Runs under ortq's file contract (docs/train.md, "Command trainers"): ortq
starts it with ORTQ_TRAIN_DIR set and reads back output/model.onnx. Needs only
numpy, scikit-learn and onnx (Debian: python3-sklearn python3-onnx), not
skl2onnx: the model is written with onnx.helper as one `LinearClassifier`
(ai.onnx.ml), with the class labels, giving `label` [N] and `probabilities`
[N, k] as ortq's built-in `logistic` trainer does. Where skl2onnx is
installed, docs/train.md's skl2onnx example does the same for any estimator.

What it reads:
  input/config/trainjob.json         features ({input: [columns]}), label, task, classes
  input/config/hyperparameters.json  l2 (1/C, default 1), maxIter (100), tol (1e-4), as the built-in logistic
  input/data/train/*.csv             trainer.inputFormat: csv (feature and label columns only)
What it writes:
  output/model.onnx, output/metrics.json (trainer-reported; ortq evaluates the model itself)
  output/failure on an error (ortq reports its text)

Like the built-in trainer it standardizes the features and folds the scaling
into the exported coefficients, so that `l2` means the same for both.
"""
import csv
import glob
import json
import os
import pathlib

d = pathlib.Path(os.environ["ORTQ_TRAIN_DIR"])
out = d / "output"


def read_csv_dir(path, columns, label):
    """Feature matrix (float64) and label strings of every CSV part file in `path`."""
    X, y = [], []
    for f in sorted(glob.glob(str(path / "*.csv"))):
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                X.append([float(row[c]) for c in columns])
                y.append(row[label])
    return X, y


def class_index(classes):
    """Maps a label as written in the CSV to its index in trainjob.json's classes."""
    if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in classes):
        lookup = {float(c): i for i, c in enumerate(classes)}
        return lambda v: lookup[float(v)]
    lookup = {str(c): i for i, c in enumerate(classes)}
    return lambda v: lookup[v]


def linear_classifier(input_name, n_features, coef, intercepts, classes):
    """ONNX-ML LinearClassifier: input float [N, n_features] -> label [N], probabilities float [N, k]."""
    from onnx import TensorProto, helper

    k = len(classes)
    int_labels = all(isinstance(c, int) and not isinstance(c, bool) for c in classes) or all(
        isinstance(c, float) and c.is_integer() for c in classes)
    if k == 2:
        # one row w (the positive class) as two rows (-w, w) under LOGISTIC: [sigma(-z), sigma(z)] = [1 - p, p]
        coef = [[-c for c in coef[0]], list(coef[0])]
        intercepts = [-intercepts[0], intercepts[0]]
    attrs = {
        "coefficients": [float(c) for row in coef for c in row],
        "intercepts": [float(b) for b in intercepts],
        "multi_class": 0,
        "post_transform": "LOGISTIC" if k == 2 else "SOFTMAX",
    }
    if int_labels:
        attrs["classlabels_ints"] = [int(c) for c in classes]
    else:
        attrs["classlabels_strings"] = [str(c) for c in classes]
    node = helper.make_node("LinearClassifier", [input_name], ["label", "probabilities"], domain="ai.onnx.ml", **attrs)
    graph = helper.make_graph(
        [node], "sklearn_logistic",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, n_features])],
        [helper.make_tensor_value_info("label", TensorProto.INT64 if int_labels else TensorProto.STRING, [None]),
         helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, k])],
    )
    model = helper.make_model(graph, producer_name="ortq-example-sklearn-logistic",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    return model


def main():
    import numpy as np
    import sklearn
    from sklearn.linear_model import LogisticRegression

    job = json.loads((d / "input/config/trainjob.json").read_text())
    hp = json.loads((d / "input/config/hyperparameters.json").read_text())
    if job["task"] != "classification":
        raise ValueError(f"this trainer does classification, the job's task is {job['task']}")
    if job.get("inputFormat", "csv") != "csv":
        raise ValueError(f"this trainer reads trainer.inputFormat: csv, not {job['inputFormat']}")
    [(input_name, columns)] = job["features"].items()
    classes = job["classes"]
    X, labels = read_csv_dir(d / "input/data/train", columns, job["label"])
    X = np.asarray(X, dtype=np.float64)
    to_index = class_index(classes)
    y = np.asarray([to_index(v) for v in labels], dtype=np.int64)

    # standardize (a constant column keeps scale 1), fit, then fold the scaling back:
    # w.(x - mu)/s + b  =  (w/s).x + (b - sum(w mu / s))
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd == 0] = 1.0
    l2 = float(hp.get("l2", 1.0))
    model = LogisticRegression(
        C=1.0 / l2 if l2 > 0 else 1e12, max_iter=int(hp.get("maxIter", 100)), tol=float(hp.get("tol", 1e-4)),
        random_state=int(os.environ.get("ORTQ_SEED", job.get("seed", 0))),
    ).fit((X - mu) / sd, y)
    if list(model.classes_) != list(range(len(classes))):
        raise ValueError(f"the train data has {len(model.classes_)} of the {len(classes)} classes")
    coef = model.coef_ / sd
    intercepts = model.intercept_ - (model.coef_ * (mu / sd)).sum(axis=1)

    onx = linear_classifier(input_name, len(columns), coef.tolist(), intercepts.tolist(), classes)
    (out / "model.onnx").write_bytes(onx.SerializeToString())
    (out / "metrics.json").write_text(json.dumps({
        "train_accuracy": float(model.score((X - mu) / sd, y)),
        "iterations": int(np.max(model.n_iter_)),
        "sklearn": sklearn.__version__,
    }))
    print(f"sklearn_logistic: {len(y)} train rows, {len(classes)} classes, {int(np.max(model.n_iter_))} iterations")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # ortq reports this text as the run's failure
        (out / "failure").write_text(f"{type(e).__name__}: {e}")
        raise
