"""`mmfuse demo`, the README's main command, meets its acceptance criteria."""

import subprocess
import sys

import pandas as pd


def test_demo_runs_and_fusion_earns_its_keep(tmp_path):
    res = subprocess.run([sys.executable, "-m", "mmfuse", "demo", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    table = pd.read_csv(tmp_path / "results.csv")
    assert set(table.kind) == {"single", "early", "late"}
    assert {f"early {s}" for s in ("concat", "weighted", "sum", "average", "product",
                                   "tensor")} <= set(table.model)
    assert {f"late {r}" for r in ("mean", "product", "vote", "learn", "stack")} <= \
        set(table.model)
    acc = table.set_index("model").accuracy
    # each modality alone is imperfect, fusion beats the best one by >= 2 points
    assert 0.75 <= acc["image only"] <= 0.92 and 0.75 <= acc["audio only"] <= 0.92
    best_single = max(acc["image only"], acc["audio only"])
    assert table[table.kind != "single"].accuracy.max() >= best_single + 0.02
    # dropping a modality at predict time costs <= 1 point vs the remaining single model
    for line in out.splitlines():
        if line.startswith("late mean with"):
            delta = float(line.split(", ")[-1].split()[0])  # "... only 0.800, +0.0 points)"
            assert delta >= -1.0, line
    assert "predictions identical" in out
    assert (tmp_path / "best_model.joblib").is_file()
    from mmfuse.persistence import read_metadata

    meta = read_metadata(tmp_path / "best_model.joblib")
    assert meta["user"]["demo"] == "av_digits"
    assert meta["user"]["test_accuracy"] == acc[meta["user"]["model"]]
