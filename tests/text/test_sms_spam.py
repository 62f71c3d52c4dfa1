"""Real data: the SMS Spam Collection (Almeida et al. 2011), a fast subset.

The full 5-fold evaluation is benchmarks/eval_sms_spam.py; this checks, in a few
seconds, that the defaults separate real spam from ham on held-out messages.
"""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from mmfuse.text import TfidfText

pytestmark = pytest.mark.shared_data


def _load(shared_datasets):
    path = shared_datasets / "sms_spam" / "sms_spam.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = [line.rstrip("\n").split("\t", 1) for line in f]
    labels, texts = zip(*rows)
    return np.array(texts, dtype=object), np.array([lab == "spam" for lab in labels], int)


def test_sms_spam_defaults_with_linear_svc(shared_datasets):
    texts, y = _load(shared_datasets)
    assert len(texts) == 5574 and y.sum() == 747
    X_tr, X_te, y_tr, y_te = train_test_split(texts, y, train_size=2500, test_size=1500,
                                              stratify=y, random_state=0)
    model = make_pipeline(TfidfText(), LinearSVC()).fit(X_tr, y_tr)
    pred = model.predict(X_te)
    assert accuracy_score(y_te, pred) >= 0.98
    assert f1_score(y_te, pred) >= 0.93
    # the names of the strongest spam features are readable stems / char n-grams
    tf = model[0]
    coef = model[1].coef_.ravel()
    top = tf.get_feature_names_out()[np.argsort(coef)[-40:]]
    assert any(n.startswith("word__") for n in top) and any(n.startswith("char__") for n in top)
