import json
import subprocess
import sys


from mmfuse.cli import collect_info, main


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mmfuse", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def test_help_lists_commands(tmp_path):
    res = run_cli("--help", cwd=tmp_path)
    assert res.returncode == 0
    for cmd in ("info", "demo"):
        assert f"    {cmd} " in res.stdout
    assert "Exit codes" in res.stdout


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: mmfuse" in capsys.readouterr().out


def test_info_reports_versions_gpu_nltk_and_data(tmp_path):
    res = run_cli("info", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    import numpy
    import sklearn

    assert f"numpy           {numpy.__version__}" in out
    assert f"sklearn         {sklearn.__version__}" in out
    assert "GPU: " in out and "device='auto' runs on" in out
    assert "NLTK corpora present:" in out
    assert "data directory: " in out


def test_info_json_matches_collect_info(capsys):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    ref = collect_info()
    assert info["packages"] == ref["packages"]
    assert set(info["nltk_corpora"]) == {"punkt", "punkt_tab", "stopwords", "wordnet"}
    assert info["cuda"]["device_auto"] in ("cpu", "cuda")
    from pathlib import Path

    assert (Path(info["data_dir"]) / "av_digits.npz").is_file()


def test_unknown_command_is_usage_error(tmp_path):
    res = run_cli("frobnicate", cwd=tmp_path)
    assert res.returncode == 2
    assert "invalid choice" in res.stderr


def test_nltk_probe_does_not_download(monkeypatch):
    import nltk

    def boom(*a, **k):  # pragma: no cover - the test fails if called
        raise AssertionError("mmfuse info must never download")

    monkeypatch.setattr(nltk, "download", boom)
    assert isinstance(collect_info()["nltk_corpora"]["stopwords"], bool)
