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

import numpy as np

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


def _load_model(path):
    from mmfuse.persistence import load, read_metadata  # noqa: PLC0415

    return load(path), read_metadata(path)


def _cmd_score(args) -> int:
    from mmfuse.scoring import score_manifest  # noqa: PLC0415

    model, meta = _load_model(args.model)
    summary = score_manifest(model, args.manifest, args.out, proba=args.proba,
                             chunk_size=args.chunk_size, on_error=args.on_error,
                             n_jobs=args.n_jobs, scheduler=args.scheduler,
                             progress=False if args.quiet else None, metadata=meta)
    if not args.quiet:
        print(f"scored {summary.n_scored} of {summary.n_rows} rows in {summary.seconds:.1f} s "
              f"({summary.rows_per_second:.0f} rows/s) -> {summary.out}")
        if summary.errors_path:
            print(f"{summary.n_errors} row(s) skipped; errors in {summary.errors_path}")
    return EXIT_OK


def _cmd_evaluate(args) -> int:
    from mmfuse.datasets import load_manifest  # noqa: PLC0415
    from mmfuse.report import evaluate_model  # noqa: PLC0415
    from mmfuse.scoring import model_columns  # noqa: PLC0415

    model, meta = _load_model(args.model)
    cols = model_columns(model, meta)
    frame = load_manifest(args.manifest, modalities=cols, require_label=True)
    if args.split and "split" in frame.columns:
        frame = frame[frame["split"] == args.split]
    metrics = evaluate_model(model, frame[list(cols)], frame["label"].to_numpy(), args.report,
                             title=f"mmfuse evaluation of {args.model}", source=args.manifest)
    print(f"accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on "
          f"{metrics['n_samples']} rows; report in {args.report}/index.html")
    return EXIT_OK


def _parse_params(pairs):
    import ast  # noqa: PLC0415

    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise SystemExit(f"mmfuse: --param expects key=value, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            params[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key.strip()] = value
    return params


def _cmd_train(args) -> int:
    import time  # noqa: PLC0415

    from mmfuse.datasets import load_manifest  # noqa: PLC0415
    from mmfuse.persistence import save  # noqa: PLC0415
    from mmfuse.pipelines import build_recipe, load_recipe  # noqa: PLC0415

    recipe = load_recipe(args.recipe)
    params = _parse_params(args.param)
    if args.seed is not None:
        params["random_state"] = args.seed
    model = build_recipe(recipe, params)
    frame = load_manifest(args.data, require_label=True)
    cols = [c for c in frame.attrs["modalities"]]
    train = frame[frame["split"] == "train"] if "split" in frame.columns else frame
    test = frame[frame["split"] == "test"] if "split" in frame.columns else frame.iloc[:0]
    X, y = train[cols], train["label"].to_numpy()
    info = {"recipe": args.recipe, "params": _parse_params(args.param),
            "n_train": int(len(train))}
    if args.seed is not None:
        info["seed"] = args.seed
    t0 = time.perf_counter()
    if args.grid:
        from sklearn.model_selection import GridSearchCV  # noqa: PLC0415

        search = GridSearchCV(model, recipe.PARAM_GRID, cv=args.cv, n_jobs=args.n_jobs,
                              error_score="raise")
        search.fit(X, y)
        model = search.best_estimator_
        info.update(best_params={k: repr(v) for k, v in search.best_params_.items()},
                    cv_score=float(search.best_score_))
        print(f"grid search: best CV accuracy {search.best_score_:.4f} with "
              f"{search.best_params_}")
    else:
        if args.cv and args.cv > 1:
            from sklearn.model_selection import cross_val_score  # noqa: PLC0415

            scores = cross_val_score(model, X, y, cv=args.cv, n_jobs=args.n_jobs)
            info["cv_score"] = float(scores.mean())
            print(f"{args.cv}-fold CV accuracy {scores.mean():.4f} +- {scores.std():.4f}")
        model.fit(X, y)
    info["fit_seconds"] = round(time.perf_counter() - t0, 3)
    if len(test):
        from mmfuse.report import coerce_labels  # noqa: PLC0415

        acc = float(np.mean(model.predict(test[cols]) ==
                            coerce_labels(test["label"].to_numpy(), model.classes_)))
        info["test_accuracy"] = acc
        print(f"test accuracy {acc:.4f} on {len(test)} rows (split == 'test')")
    save(model, args.out, metadata=info)
    print(f"model saved to {args.out}")
    return EXIT_OK


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

    p = sub.add_parser("train", help="fit a recipe on a manifest and save the model")
    p.add_argument("--recipe", required=True,
                   help="a recipe name from mmfuse.pipelines (av_digits, fashion, sms_spam, "
                        "spoken_digits, trimodal) or a path to a .py file with build() and "
                        "PARAM_GRID")
    p.add_argument("--data", required=True, metavar="MANIFEST", help="manifest CSV with "
                   "modality columns and label (rows with split == 'test' are held out)")
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write")
    p.add_argument("--grid", action="store_true", help="grid-search the recipe's PARAM_GRID")
    p.add_argument("--cv", type=int, default=3, help="folds for --grid or for a CV estimate")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="recipe parameter (build() keyword or nested set_params key)")
    p.add_argument("--n-jobs", type=int, default=None)
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random_state passed to the recipe's build(), which seeds every "
                        "stochastic step (default: the recipe's own, 0)")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("score", help="batch-score a manifest with a saved model",
                       description="Streams the manifest in chunks and writes predictions "
                       "atomically (an interrupted run leaves no partial output).",
                       epilog="Exit codes: 0 all rows scored (or skipped and reported with "
                       "--on-error skip), 1 a row or the model file failed under "
                       "--on-error raise (nothing written), 2 usage error.")
    p.add_argument("model", help="model file written by mmfuse train / mmfuse.save")
    p.add_argument("manifest", help="manifest CSV with the columns the model reads")
    p.add_argument("--out", required=True, help="predictions .csv or .parquet")
    p.add_argument("--proba", action="store_true", help="add proba_<class> columns")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="N")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="skip: score every good row, write bad ones to OUT.errors.csv")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="score chunks in N parallel processes")
    p.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                   help="run chunks as Dask tasks: 'local' starts a LocalCluster on "
                        "127.0.0.1, else the address of a running scheduler")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("evaluate", help="metrics, confusion matrix, per-modality "
                       "contribution and an HTML report for a labelled manifest")
    p.add_argument("model")
    p.add_argument("manifest")
    p.add_argument("--report", required=True, metavar="DIR")
    p.add_argument("--split", default=None, help="only rows with this split value")
    p.set_defaults(func=_cmd_evaluate)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    from mmfuse.io import MMFuseInputError  # noqa: PLC0415
    from mmfuse.persistence import ModelFileError  # noqa: PLC0415

    try:
        return args.func(args)
    except (MMFuseInputError, ModelFileError, ValueError, FileNotFoundError) as exc:
        print(f"mmfuse {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(f"mmfuse {args.command}: interrupted; no partial output was written",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
