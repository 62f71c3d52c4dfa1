"""The ``mmfuse`` command line: wiring only; the work lives in the library.

Exit codes
----------
0  success
1  a run failed (bad input under ``--on-error raise``, a failed check)
2  usage error or a required component is missing
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_NLTK_RESOURCES = {
    "punkt": "tokenizers/punkt",
    "punkt_tab": "tokenizers/punkt_tab",
    "stopwords": "corpora/stopwords",
    "wordnet": "corpora/wordnet",
}
_VERSIONED = ["numpy", "scipy", "sklearn", "cv2", "librosa", "soundfile", "soxr", "nltk",
              "joblib", "pandas", "tqdm", "sklearn_compat"]
_OPTIONAL = {"cupy": "gpu", "dask": "dask", "distributed": "dask", "skops": "safe",
             "matplotlib": "report"}


def _version(module_name):
    try:
        mod = importlib.import_module(module_name)
    except Exception:  # an optional package may fail in many ways on import
        return None
    return getattr(mod, "__version__", "unknown")


def _nltk_corpora():
    try:
        import nltk  # noqa: PLC0415
    except ImportError:
        return {name: False for name in _NLTK_RESOURCES}
    found = {}
    for name, res in _NLTK_RESOURCES.items():
        try:
            nltk.data.find(res)
            found[name] = True
        except LookupError:
            try:  # corpora are often shipped zipped
                nltk.data.find(res + ".zip")
                found[name] = True
            except LookupError:
                found[name] = False
    return found


def collect_info() -> dict:
    """Everything ``mmfuse info`` reports, as a dict."""
    from importlib import resources  # noqa: PLC0415

    import mmfuse  # noqa: PLC0415
    from mmfuse._backend import cuda_available, cuda_status, resolve_device  # noqa: PLC0415

    return {
        "mmfuse": mmfuse.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in _VERSIONED},
        "optional": {name: _version(name) for name in _OPTIONAL},
        "cuda": {"available": cuda_available(), "status": cuda_status(),
                 "device_auto": resolve_device("auto")},
        "nltk_corpora": _nltk_corpora(),
        "data_dir": str(resources.files("mmfuse.data")),
    }


def _cmd_info(args) -> int:
    info = collect_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return EXIT_OK
    print(f"mmfuse {info['mmfuse']} (Python {info['python']}, {info['platform']})")
    print("packages:")
    for name, ver in info["packages"].items():
        print(f"  {name:<15} {ver or 'NOT INSTALLED'}")
    print("optional:")
    for name, ver in info["optional"].items():
        extra = _OPTIONAL[name]
        print(f"  {name:<15} {ver or f'not installed (pip install mmfuse[{extra}])'}")
    cuda = info["cuda"]
    print(f"GPU: {'usable' if cuda['available'] else 'not usable'} - {cuda['status']}; "
          f"device='auto' runs on {cuda['device_auto']}")
    corpora = info["nltk_corpora"]
    present = [k for k, v in corpora.items() if v]
    absent = [k for k, v in corpora.items() if not v]
    print(f"NLTK corpora present: {', '.join(present) or 'none'}; absent: "
          f"{', '.join(absent) or 'none'} (absent corpora fall back to built-in tokenizers "
          "and stop words)")
    print(f"data directory: {info['data_dir']}")
    return EXIT_OK


def _missing_components():
    needed = {"mmfuse.image": "HOGFeatures", "mmfuse.audio": "MFCCFeatures",
              "mmfuse.fusion": "FeatureFusion"}
    missing = []
    for mod, name in needed.items():
        try:
            getattr(importlib.import_module(mod), name)
        except (ImportError, AttributeError):
            missing.append(f"{mod}.{name}")
    return missing


def _cmd_demo(args) -> int:
    missing = _missing_components()
    if missing:
        print(f"mmfuse demo needs {', '.join(missing)}, which this installation does not "
              "provide yet.", file=sys.stderr)
        return EXIT_USAGE
    from mmfuse._demo import run_demo  # noqa: PLC0415

    return run_demo(out=args.out, quiet=args.quiet)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmfuse",
        description="Classical-ML multimodal learning: features, fusion, scoring.",
        epilog="Exit codes: 0 success, 1 run failed, 2 usage error or missing component.")
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {importlib.import_module('mmfuse').__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("info", help="versions, GPU/CUDA status, NLTK corpora, data directory")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("demo", help="train and compare single-modality and fused models on "
                       "the embedded audio-visual digits")
    p.add_argument("--out", metavar="DIR", help="keep the best model and a results CSV here")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
