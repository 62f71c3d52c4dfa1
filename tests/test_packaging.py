"""The wheel carries mmfuse.pipelines and mmfuse.data and works from anywhere (non-editable)."""

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _setuptools_builds_wheels():
    """setuptools >= 70.1 has bdist_wheel built in; older ones need the wheel package."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    major, minor = (int(p) for p in setuptools.__version__.split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    if not (ROOT / "pyproject.toml").is_file():
        pytest.skip("not running from a source checkout")
    out = tmp_path_factory.mktemp("wheel")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)]
    if _setuptools_builds_wheels():  # else pip fetches a build environment from the index
        cmd.insert(4, "--no-build-isolation")
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    (whl,) = out.glob("mmfuse-*.whl")
    return whl


def test_wheel_contains_pipelines_data_and_entry_point(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("mmfuse/__init__.py", "mmfuse/__init__.pyi", "mmfuse/image/__init__.pyi",
                     "mmfuse/_backend.py", "mmfuse/io/__init__.py",
                     "mmfuse/io/_images.py", "mmfuse/datasets/__init__.py",
                     "mmfuse/datasets/_embedded.py",
                     "mmfuse/pipelines/__init__.py", "mmfuse/data/__init__.py",
                     "mmfuse/data/av_digits.npz", "mmfuse/data/av_digits.flac",
                     "mmfuse/data/README.md"):
        assert required in names, required
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    ep = next(n for n in names if n.endswith("entry_points.txt"))
    assert "mmfuse = mmfuse.cli:main" in zipfile.ZipFile(wheel).read(ep).decode()


def test_installed_wheel_loads_demo_data_from_elsewhere(wheel, tmp_path):
    target = tmp_path / "site"
    res = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                          "--target", str(target), str(wheel)], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    code = ("import mmfuse, mmfuse.pipelines, mmfuse.datasets as d; "
            "assert mmfuse.__file__.startswith(%r), mmfuse.__file__; "
            "X, y = d.load_av_digits(split='test', return_X_y=True); print(len(X), y[:3])"
            % str(target))
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("500 ")
