"""The ``mmfuse`` command line: wiring only; the work lives in the library.

Exit codes
----------
0  success
1  a run failed (bad input under ``--on-error raise``, a failed check); one line on stderr
2  usage error or a required component is missing; one line on stderr
130  interrupted

Every message is one line on stderr, ``mmfuse COMMAND: error: ...`` or
``mmfuse COMMAND: warning: ...``; ``--verbose`` adds stage timings and, for a
failed run, the traceback. Stage lines (loading, fitting, scoring, saving) go
to stderr too; ``--quiet`` silences them and every progress bar.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import sys
import time

from .exceptions import UsageError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_NLTK_RESOURCES = {
    "punkt": "tokenizers/punkt",
    "punkt_tab": "tokenizers/punkt_tab",
    "stopwords": "corpora/stopwords",
    "wordnet": "corpora/wordnet",
}
# module name -> distribution name(s), read with importlib.metadata (nothing is imported)
_VERSIONED = {"numpy": ["numpy"], "scipy": ["scipy"], "sklearn": ["scikit-learn"],
              "cv2": ["opencv-python-headless", "opencv-python", "opencv-contrib-python",
                      "opencv-contrib-python-headless"],
              "librosa": ["librosa"], "soundfile": ["soundfile"], "soxr": ["soxr"],
              "nltk": ["nltk"], "joblib": ["joblib"], "pandas": ["pandas"], "tqdm": ["tqdm"],
              "sklearn_compat": ["sklearn-compat"]}
_OPTIONAL = {"cupy": ("gpu", ["cupy-cuda13x", "cupy-cuda12x", "cupy-cuda11x", "cupy"]),
             "dask": ("dask", ["dask"]), "distributed": ("dask", ["distributed"]),
             "skops": ("safe", ["skops"]), "matplotlib": ("report", ["matplotlib"]),
             "pyarrow": ("parquet", ["pyarrow"])}


# --------------------------------------------------------------------------- info

def _version(dists):
    from importlib import metadata  # noqa: PLC0415

    for dist in dists:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def _nltk_search_path():
    """The folders NLTK searches for its data (``nltk.data.path``), without importing NLTK.

    Importing NLTK takes seconds (it imports scipy.stats and more), so
    ``mmfuse info`` rebuilds the list NLTK builds at import time: ``NLTK_DATA``,
    ``~/nltk_data``, then the folders under ``sys.prefix`` and the system ones.
    When NLTK is imported already, its own list is used.
    """
    if "nltk.data" in sys.modules:
        return list(sys.modules["nltk.data"].path)
    path = [os.path.expanduser(d) for d in os.environ.get("NLTK_DATA", "").split(os.pathsep)
            if d]
    if os.path.expanduser("~/") != "~/":
        path.append(os.path.expanduser("~/nltk_data"))
    if sys.platform.startswith("win"):
        appdata = os.environ.get("APPDATA")
        path += [os.path.join(sys.prefix, "nltk_data"),
                 os.path.join(sys.prefix, "share", "nltk_data"),
                 os.path.join(sys.prefix, "lib", "nltk_data")]
        path += [os.path.join(appdata, "nltk_data")] if appdata else []
        path += [r"C:\nltk_data", r"D:\nltk_data", r"E:\nltk_data"]
    else:
        path += [os.path.join(sys.prefix, "nltk_data"),
                 os.path.join(sys.prefix, "share", "nltk_data"),
                 os.path.join(sys.prefix, "lib", "nltk_data"),
                 "/usr/share/nltk_data", "/usr/local/share/nltk_data",
                 "/usr/lib/nltk_data", "/usr/local/lib/nltk_data"]
    return path


def _nltk_corpora():
    """``{name: present}`` for the NLTK resources mmfuse uses (folder or ``.zip``); never
    downloads anything."""
    if importlib.util.find_spec("nltk") is None:
        return {name: False for name in _NLTK_RESOURCES}
    roots = _nltk_search_path()
    return {name: any(os.path.exists(os.path.join(root, *res.split("/")))
                      or os.path.exists(os.path.join(root, *res.split("/")) + ".zip")
                      for root in roots)
            for name, res in _NLTK_RESOURCES.items()}


def collect_info() -> dict:
    """Everything ``mmfuse info`` reports, as a dict (imports none of the heavy packages)."""
    from importlib import resources  # noqa: PLC0415

    import mmfuse  # noqa: PLC0415
    from mmfuse._backend import cuda_available, cuda_status, resolve_device  # noqa: PLC0415

    return {
        "mmfuse": mmfuse.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {name: _version(dists) for name, dists in _VERSIONED.items()},
        "optional": {name: _version(dists) for name, (_, dists) in _OPTIONAL.items()},
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
        extra = _OPTIONAL[name][0]
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


# --------------------------------------------------------------------------- plumbing

class _Stages:
    """Stage lines on stderr (``mmfuse train: fitting ...``); ``--verbose`` prefixes the
    elapsed time. ``--quiet`` silences them (and wins over ``--verbose``)."""

    def __init__(self, args, *, lines=True):
        self.command = args.command
        self.verbose = getattr(args, "verbose", False)
        # score has its rows/s bar and summary: stage lines only with --verbose
        self.quiet = getattr(args, "quiet", False) or not (lines or self.verbose)
        self.t0 = time.perf_counter()

    def __call__(self, text):
        if self.quiet:
            return
        clock = f"[{time.perf_counter() - self.t0:.1f} s] " if self.verbose else ""
        print(f"mmfuse {self.command}: {clock}{text}", file=sys.stderr, flush=True)

    def done(self):
        if self.verbose:
            self("done")


def _result(args, text):
    """A result line on stdout (accuracy, where the output went), unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(text)


def _check_args(args):
    """Usage errors (exit 2) found from the arguments alone, before any work."""
    if getattr(args, "n_jobs", None) == 0:
        raise UsageError("--n-jobs 0 has no meaning: give a number of workers >= 1, or -1 "
                         "for one per core")
    if getattr(args, "chunk_size", 1) < 1:
        raise UsageError(f"--chunk-size must be >= 1; got {args.chunk_size}")
    if getattr(args, "cv", None) is not None and args.cv != 0 and args.cv < 2:
        raise UsageError(f"--cv must be >= 2 folds, or 0 for none; got {args.cv}")
    if getattr(args, "encoding", None):
        from mmfuse.datasets import manifest_encoding  # noqa: PLC0415

        try:
            manifest_encoding(args.encoding)
        except ValueError as exc:
            raise UsageError(f"--encoding: {exc}") from None
    if getattr(args, "device", None) == "cuda":
        from mmfuse._backend import cuda_available, cuda_status  # noqa: PLC0415

        if not cuda_available():
            raise UsageError(f"--device cuda: {cuda_status()}")
    scheduler = getattr(args, "scheduler", None)
    if scheduler:
        import re  # noqa: PLC0415

        if scheduler != "local" and not re.match(r"^([a-z][a-z0-9+.-]*://)?[^\s:/]+:\d+/?$",
                                                 scheduler):
            raise UsageError(f"--scheduler {scheduler!r} is neither 'local' nor a scheduler "
                             "address such as tcp://10.0.0.5:8786")
        _require("distributed", "dask", "--scheduler")


def _require(module, extra, what):
    """Refuse before any work when an optional component is missing (exit 2)."""
    if importlib.util.find_spec(module) is None:
        raise UsageError(f"{what} needs {module}: pip install 'mmfuse[{extra}]'")


def _with_ids(exc, frame):
    """An input error of a frame's row, with the row's id filled in from ``frame['id']``."""
    from mmfuse.io import MMFuseInputError  # noqa: PLC0415

    if (isinstance(exc, MMFuseInputError) and exc.id is None and "id" in frame.columns
            and exc.row in frame.index):
        return exc.with_context(id=frame.loc[exc.row, "id"])
    return exc


def _load_model(path, device=None):
    from mmfuse.persistence import load, read_metadata  # noqa: PLC0415

    model = load(path)
    if device is not None:  # --device reaches every extractor, fitted ones included
        from mmfuse._config import follow_configured_device  # noqa: PLC0415

        follow_configured_device(model)
    return model, read_metadata(path)


def _context(args):
    """The configuration a command runs under: ``--device`` and ``--quiet``."""
    from mmfuse import config_context  # noqa: PLC0415

    keys = {}
    if getattr(args, "device", None):
        keys["device"] = args.device
    if getattr(args, "quiet", False):
        keys["progress"] = False
    return config_context(**keys)


class _warnings_with_ids:  # noqa: N801 - used as a context manager
    """Collect the input warnings of a block of work; issue them naming ids and paths."""

    def __init__(self, frame):
        self.frame = frame

    def __enter__(self):
        from mmfuse._config import collect_warnings  # noqa: PLC0415

        self._cm = collect_warnings()
        self.notes = self._cm.__enter__()

    def __exit__(self, *exc):
        from mmfuse.scoring import reissue_warnings  # noqa: PLC0415

        self._cm.__exit__(*exc)
        reissue_warnings(self.notes, self.frame)


def _check_out(path):
    from mmfuse.scoring import check_output_path  # noqa: PLC0415

    try:
        check_output_path(path)
    except ImportError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class _Cluster:
    """The Dask client of ``--scheduler`` (None without it), entered once the arguments,
    the model or recipe and the manifest are checked, before the heavy work.

    ``local`` starts a LocalCluster on 127.0.0.1 (``--n-jobs`` workers, 2 by
    default); an address that does not answer is one line within 5 s
    (:class:`mmfuse.scoring._DaskClient`), exit code 1.
    """

    def __init__(self, args, say):
        self.args, self.say, self._cm = args, say, None

    def __enter__(self):
        scheduler = getattr(self.args, "scheduler", None)
        if not scheduler:
            return None
        from mmfuse.scoring import _DaskClient  # noqa: PLC0415

        self.say("starting a Dask LocalCluster on 127.0.0.1" if scheduler == "local"
                 else f"connecting to the Dask scheduler {scheduler}")
        self._cm = _DaskClient(scheduler, getattr(self.args, "n_jobs", None))
        client = self._cm.__enter__()
        threads = client.nthreads()
        self.say(f"Dask cluster: {len(threads)} worker(s), {sum(threads.values())} thread(s)")
        return client

    def __exit__(self, *exc):
        if self._cm is not None:
            self._cm.__exit__(*exc)


# --------------------------------------------------------------------------- commands

def _cmd_demo(args) -> int:
    from mmfuse._demo import run_demo  # noqa: PLC0415

    return run_demo(out=args.out, quiet=args.quiet)


def _cmd_inspect(args) -> int:
    from mmfuse.persistence import read_metadata  # noqa: PLC0415

    meta = read_metadata(args.model)
    if args.json:
        print(json.dumps(meta, indent=2, default=str))
        return EXIT_OK
    print(f"model: {args.model}")
    print(f"estimator: {meta.get('estimator')}")
    print(f"format: {meta.get('format')}, {meta.get('payload_size', 0):,} bytes, "
          f"sha256 {meta.get('sha256')}")
    print(f"created: {meta.get('created')}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items()))
    classes = meta.get("classes")
    print(f"classes: {'unknown' if classes is None else ', '.join(map(str, classes))}")
    inputs = meta.get("inputs") or {}
    print("inputs: " + (", ".join(f"{c} ({k or 'unknown kind'})" for c, k in inputs.items())
                        or "unknown"))
    schema = meta.get("input_schema") or {}  # absent from files of older versions
    if schema:
        print("input schema: " + ", ".join(
            f"{c} ({e.get('kind') or 'unknown kind'}, {e.get('dtype')}, block {e.get('block')!r})"
            for c, e in schema.items()))
    for key, value in (meta.get("user") or {}).items():
        print(f"{key}: {value}")
    return EXIT_OK


def _cmd_score(args) -> int:
    from mmfuse.scoring import score_manifest  # noqa: PLC0415

    _check_args(args)
    _check_out(args.out)
    say = _Stages(args, lines=False)
    say(f"loading {args.model}")
    model, meta = _load_model(args.model, args.device)
    say(f"scoring {args.manifest}" + (f" on the Dask scheduler {args.scheduler}"
                                      if args.scheduler else ""))
    with _context(args):
        summary = score_manifest(model, args.manifest, args.out, proba=args.proba,
                                 chunk_size=args.chunk_size, on_error=args.on_error,
                                 n_jobs=args.n_jobs, scheduler=args.scheduler,
                                 progress=False if args.quiet else None, metadata=meta,
                                 encoding=args.encoding)
    say.done()
    _result(args, f"scored {summary.n_scored} of {summary.n_rows} rows in "
                  f"{summary.seconds:.1f} s ({summary.rows_per_second:.0f} rows/s) -> "
                  f"{summary.out}")
    if summary.errors_path:
        _result(args, f"{summary.n_errors} row(s) skipped; errors in {summary.errors_path}")
    return EXIT_OK


def _cmd_evaluate(args) -> int:
    _check_args(args)
    _require("matplotlib", "report", "mmfuse evaluate (its plots)")
    if os.path.exists(args.report) and not os.path.isdir(args.report):
        raise UsageError(f"--report {args.report!r} is a file; give a folder for the report")
    from mmfuse.datasets import load_manifest  # noqa: PLC0415
    from mmfuse.report import evaluate_model  # noqa: PLC0415
    from mmfuse.scoring import model_columns  # noqa: PLC0415

    say = _Stages(args)
    say(f"loading {args.model}")
    model, meta = _load_model(args.model, args.device)
    cols = model_columns(model, meta)
    say(f"loading {args.manifest}")
    # under --on-error skip a missing file is one skipped row, not a refused manifest
    frame = load_manifest(args.manifest, modalities=cols, require_label=True,
                          encoding=args.encoding, check_files=args.on_error == "raise")
    if args.split:
        values = sorted(map(str, set(frame["split"].dropna()))) if "split" in frame.columns \
            else []
        if args.split not in values:
            raise UsageError(f"--split {args.split!r}: no row has that split (the manifest's "
                             f"split values: {values or 'none, no split column'})")
        frame = frame[frame["split"] == args.split]
    from mmfuse.report import coerce_labels  # noqa: PLC0415

    try:
        labels = coerce_labels(frame["label"].to_numpy(), model.classes_)
    except (TypeError, ValueError):
        labels = frame["label"].to_numpy()
    unknown = sorted(map(str, set(labels) - set(model.classes_)))
    if unknown:
        raise ValueError(f"{args.manifest}: label(s) {unknown[:10]} are not classes of the model "
                         f"(its classes: {', '.join(map(str, model.classes_))})")
    ids = frame["id"].to_numpy() if "id" in frame.columns else None
    with _Cluster(args, say) as client, _context(args), _warnings_with_ids(frame):
        say(f"scoring {len(frame)} rows" + (" on the Dask cluster" if client else "")
            + f" and writing the report to {args.report}")
        if client is not None:  # screening and every prediction: row chunks as Dask tasks
            from mmfuse.distributed import _OnDask  # noqa: PLC0415

            model = _OnDask(model, client)
        try:
            metrics = evaluate_model(model, frame[list(cols)], frame["label"].to_numpy(),
                                     args.report, ids=ids, on_error=args.on_error,
                                     metadata=meta, n_misclassified=args.misclassified,
                                     n_repeats=args.n_repeats,
                                     title=f"mmfuse evaluation of {args.model}",
                                     source=args.manifest)
        except Exception as exc:
            raise _with_ids(exc, frame) from exc
    say.done()
    _result(args, f"accuracy {metrics['accuracy']:.4f}, macro-F1 {metrics['macro_f1']:.4f} on "
                  f"{metrics['n_samples']} rows; report in {args.report}/index.html")
    if metrics["n_skipped"]:
        _result(args, f"{metrics['n_skipped']} error row(s) skipped; listed in the report")
    return EXIT_OK


def _parse_params(pairs):
    import ast  # noqa: PLC0415

    params = {}
    for pair in pairs or []:
        if "=" not in pair:
            raise UsageError(f"--param expects KEY=VALUE, got {pair!r}")
        key, value = pair.split("=", 1)
        try:
            params[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[key.strip()] = value
    return params


def _check_param_keys(recipe, params):
    """Refuse a ``--param`` key that is neither a ``build()`` keyword nor a nested parameter."""
    import difflib  # noqa: PLC0415
    import inspect  # noqa: PLC0415

    accepted = [k for k in inspect.signature(recipe.build).parameters]
    nested = None
    for key in params:
        if key in accepted:
            continue
        if nested is None:
            nested = sorted(recipe.build().get_params(deep=True))
        if key in nested:
            continue
        close = difflib.get_close_matches(key, accepted + nested, n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else ""
        raise UsageError(f"--param {key!r} is not a parameter of recipe "
                         f"{getattr(recipe, '__name__', '?').rsplit('.', 1)[-1]!r}{hint} "
                         f"build() takes {', '.join(accepted)}; any nested key of the built "
                         "pipeline works too (e.g. clf__C)")


def _cmd_train(args) -> int:
    from mmfuse.datasets import load_manifest  # noqa: PLC0415
    from mmfuse.pipelines import build_recipe, load_recipe  # noqa: PLC0415
    from mmfuse.scoring import model_columns  # noqa: PLC0415

    _check_args(args)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir):
        raise UsageError(f"--out {args.out!r}: folder {out_dir!r} does not exist; create it "
                         "first")
    say = _Stages(args)
    params = _parse_params(args.param)
    try:
        recipe = load_recipe(args.recipe)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    _check_param_keys(recipe, params)
    if args.seed is not None:
        import inspect  # noqa: PLC0415

        if "random_state" not in inspect.signature(recipe.build).parameters:
            raise UsageError(f"--seed: recipe {args.recipe!r} has no random_state in its "
                             "build(); pass the seed as a --param of that recipe instead")
        params["random_state"] = args.seed
    model = build_recipe(recipe, params)
    if args.device:  # the saved model follows the device of wherever it is loaded
        from mmfuse._config import follow_configured_device  # noqa: PLC0415

        follow_configured_device(model)
    cols = list(model_columns(model)) or None  # None: the manifest's image*/audio*/text*
    say(f"loading {args.data}" + (f" (the recipe reads {', '.join(cols)})" if cols else ""))
    frame = load_manifest(args.data, modalities=cols, require_label=True,
                          encoding=args.encoding)
    cols = list(frame.attrs["modalities"])
    train, test = _split(args, frame)
    X, y = train[cols], train["label"].to_numpy()
    info = {"recipe": args.recipe, "params": params, "n_train": int(len(train))}
    if args.seed is not None:
        info["seed"] = args.seed
    with _Cluster(args, say) as client, _context(args), _warnings_with_ids(frame):
        try:
            _train(args, say, recipe, model, X, y, test, cols, info, client)
        except Exception as exc:
            raise _with_ids(exc, frame) from exc
    return EXIT_OK


def _split(args, frame):
    """The training and test rows of a manifest, saying what is left aside and why."""
    import warnings  # noqa: PLC0415

    if "split" not in frame.columns:
        warnings.warn(f"{args.data} has no split column: training on every row, no test "
                      "accuracy")
        return frame, frame.iloc[:0]
    split = frame["split"]
    train, test = frame[split == "train"], frame[split == "test"]
    if not len(train):
        raise ValueError(f"{args.data}: no row has split == 'train'; mark the training rows "
                         "or drop the split column to train on every row")
    other = split[~split.isin(["train", "test"])]
    if len(other):
        values = sorted(map(str, set(other.dropna()))) + (["(empty)"] if other.isna().any()
                                                           else [])
        warnings.warn(f"{len(other)} row(s) with split {values} are neither 'train' nor "
                      "'test' and are not used")
    if not len(test):
        warnings.warn(f"{args.data} has no row with split == 'test': no test accuracy")
    unseen = sorted(map(str, set(test["label"]) - set(train["label"])))
    if unseen:
        warnings.warn(f"class(es) {unseen} occur only in the test rows: the model cannot "
                      "predict them")
    return train, test


def _train(args, say, recipe, model, X, y, test, cols, info, client=None):
    import contextlib  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    from mmfuse.persistence import save  # noqa: PLC0415

    t0 = time.perf_counter()
    dask = {}
    if client is not None:  # the same model, its work spread over the cluster
        from mmfuse.distributed import dask_backend, fit_distributed  # noqa: PLC0415

        dask = dict(client=client, on_stage=say, progress=False if args.quiet else None)
    # with a cluster n_jobs=None means every worker thread (joblib's Dask backend)
    n_jobs = None if client is not None else args.n_jobs
    if args.grid:
        from sklearn.model_selection import GridSearchCV, ParameterGrid  # noqa: PLC0415

        folds = args.cv or 3
        valid = model.get_params(deep=True)
        grids = recipe.PARAM_GRID if isinstance(recipe.PARAM_GRID, list) else [recipe.PARAM_GRID]
        unknown = sorted({k for g in grids for k in g if k not in valid})
        if unknown:
            raise UsageError(
                f"--grid: the recipe's PARAM_GRID names {', '.join(unknown)}, which the model "
                f"built with {' '.join(args.param) if args.param else 'its defaults'} does not "
                "have (PARAM_GRID is written for the default build); drop --grid or the "
                "--param that changes the model's structure")
        n = len(ParameterGrid(recipe.PARAM_GRID))
        say(f"grid search on {len(X)} rows: {n} candidates x {folds} folds = {n * folds} fits"
            + (" as Dask tasks" if dask else "") + ", then one on all rows")
        search = GridSearchCV(model, recipe.PARAM_GRID, cv=folds, n_jobs=n_jobs,
                              error_score="raise")
        if dask:
            fit_distributed(search, X, y, **dask)
        else:
            search.fit(X, y)
        model = search.best_estimator_
        info.update(best_params={k: repr(v) for k, v in search.best_params_.items()},
                    cv_score=float(search.best_score_))
        _result(args, f"grid search: best CV accuracy {search.best_score_:.4f} with "
                      f"{search.best_params_}")
    else:
        if args.cv and args.cv > 1:
            from sklearn.model_selection import cross_val_score  # noqa: PLC0415

            say(f"{args.cv}-fold cross-validation on {len(X)} rows ({args.cv} fits"
                + (" as Dask tasks)" if dask else ")"))
            with dask_backend(client) if dask else contextlib.nullcontext():
                scores = cross_val_score(model, X, y, cv=args.cv, n_jobs=n_jobs,
                                         error_score="raise")
            info["cv_score"] = float(scores.mean())
            _result(args, f"{args.cv}-fold CV accuracy {scores.mean():.4f} +- "
                          f"{scores.std():.4f}")
        say(f"fitting on {len(X)} rows (extracting {', '.join(cols)}, then the classifier)"
            + (" on the Dask cluster" if dask else ""))
        if dask:
            fit_distributed(model, X, y, **dask)
        else:
            model.fit(X, y)
    info["fit_seconds"] = round(time.perf_counter() - t0, 3)
    if len(test):
        from mmfuse.report import coerce_labels  # noqa: PLC0415
        from mmfuse.scoring import score_frame  # noqa: PLC0415

        say(f"scoring the {len(test)} test rows")
        # a bad test row must not cost the model just fitted: skip it and say so
        pred, errors, _ = score_frame(model, test, cols, on_error="skip")
        if errors:
            import warnings  # noqa: PLC0415

            shown = "; ".join(f"row {e['row']} (id {e['id']}): {e['cause']}"
                              for e in errors[:5])
            warnings.warn(f"{len(errors)} test row(s) could not be scored and are left out "
                          f"of the test accuracy: {shown}"
                          + (f"; and {len(errors) - 5} more" if len(errors) > 5 else ""))
        truth = coerce_labels(test.loc[pred["row"], "label"].to_numpy(), model.classes_)
        acc = float(np.mean(pred["prediction"].to_numpy() == truth)) if len(pred) else 0.0
        info["test_accuracy"] = acc
        _result(args, f"test accuracy {acc:.4f} on {len(pred)} rows (split == 'test')")
    say(f"saving {args.out}")
    save(model, args.out, metadata=info)
    say.done()
    _result(args, f"model saved to {args.out}")


# --------------------------------------------------------------------------- parser

def _common_options(p, func):
    """The options shared by train, evaluate and score, and ``func``, the function that
    runs the command."""
    p.set_defaults(func=func)
    p.add_argument("--encoding", default=None, metavar="NAME",
                   help="the manifest's text encoding (default: UTF-8 with or without BOM; "
                        "any other bytes are an error naming the offset), e.g. latin-1")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default=None,
                   help="where every extractor computes (default: each model's own setting, "
                        "'auto' unless fitted otherwise); a model fitted on a GPU scores "
                        "with --device cpu on a CPU-only host")
    p.add_argument("--quiet", action="store_true", help="no stage lines, progress bars or summary")
    p.add_argument("--verbose", action="store_true",
                   help="stage timings, and the traceback when the run fails")


_MODEL_HELP = "model file written by mmfuse train / mmfuse.save"


def _model_and_manifest(sub, name, manifest_help, **parser_kw):
    """The subcommand ``name`` (``parser_kw`` goes to ``add_parser``) with the positional
    arguments of the commands that apply a model file to a manifest (score, evaluate)."""
    p = sub.add_parser(name, **parser_kw)
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("manifest", help=manifest_help)
    return p


def _count(text):
    """An integer >= 0 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mmfuse",
        description="Classical-ML multimodal learning: features, fusion, scoring.",
        epilog="Exit codes: 0 success, 1 run failed, 2 usage error or missing component, "
               "130 interrupted. Rows are numbered from 0, the first data row of a manifest.")
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

    p = sub.add_parser("inspect", help="print a model file's metadata (versions, classes, "
                       "inputs, creation time, checksum) without loading the model")
    p.add_argument("model", help=_MODEL_HELP)
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("train", help="fit a recipe on a manifest and save the model")
    p.add_argument("--recipe", required=True,
                   help="a recipe name from mmfuse.pipelines (av_digits, fashion, sms_spam, "
                        "spoken_digits, trimodal) or a path to a .py file with build() and "
                        "PARAM_GRID")
    p.add_argument("--data", required=True, metavar="MANIFEST", help="manifest CSV with "
                   "modality columns and label (rows with split == 'test' are held out)")
    p.add_argument("--out", required=True, metavar="MODEL", help="model file to write")
    p.add_argument("--grid", action="store_true", help="grid-search the recipe's PARAM_GRID "
                   "(--cv folds, 3 by default)")
    p.add_argument("--cv", type=int, default=None, metavar="K",
                   help="folds of --grid (3 by default); without --grid, a K-fold CV estimate "
                        "before the final fit (K more fits; none by default or with 0)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="recipe parameter (build() keyword or nested set_params key)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="parallel fits of --grid/--cv (processes); with --scheduler local, "
                        "the number of Dask workers (2 by default)")
    p.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                   help="train on Dask: extraction in row chunks on the workers, the fits of "
                        "--grid/--cv as Dask tasks, the same model as without; 'local' starts "
                        "a LocalCluster on 127.0.0.1, else the address of a running scheduler "
                        "(item paths must resolve on the workers)")
    p.add_argument("--seed", type=int, default=None, metavar="N",
                   help="random_state passed to the recipe's build(), which seeds every "
                        "stochastic step (default: the recipe's own, 0)")
    _common_options(p, _cmd_train)

    p = _model_and_manifest(
        sub, "score", "manifest CSV with the columns the model reads",
        help="batch-score a manifest with a saved model",
        description="Streams the manifest in chunks and writes predictions atomically (an "
        "interrupted run leaves no partial output).",
        epilog="Exit codes: 0 all rows scored (or skipped and reported with --on-error "
        "skip), 1 a row or the model file failed under --on-error raise (nothing written), "
        "2 usage error.")
    p.add_argument("--out", required=True, help="predictions .csv or .parquet/.pq (the folder "
                   "must exist)")
    p.add_argument("--proba", action="store_true", help="add proba_<class> columns")
    p.add_argument("--chunk-size", type=int, default=1000, metavar="N")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="skip: score every good row, write the error rows to OUT.errors.csv "
                        "(not written when there is none)")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="score chunks in N parallel processes")
    p.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                   help="run chunks as Dask tasks: 'local' starts a LocalCluster on "
                        "127.0.0.1, else the address of a running scheduler")
    _common_options(p, _cmd_score)

    p = _model_and_manifest(
        sub, "evaluate", "manifest CSV with the columns the model reads and label",
        help="metrics, confusion matrix, per-modality contribution and an HTML report for a "
        "labelled manifest",
        description="Scores a labelled manifest and writes DIR/index.html, one "
        "self-contained page to share (figures embedded, no external request), and "
        "DIR/metrics.json.",
        epilog="Exit codes: 0 report written (with --on-error skip: error rows listed in "
        "it), 1 a row or the model file failed under --on-error raise, 2 usage error or "
        "matplotlib missing.")
    p.add_argument("--report", required=True, metavar="DIR",
                   help="folder for index.html and metrics.json (created if absent)")
    p.add_argument("--split", default=None, help="only rows with this split value")
    p.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                   help="skip: evaluate every good row and list the error rows (row, id, "
                        "column, path, cause) in the report")
    p.add_argument("--misclassified", type=_count, default=50, metavar="N",
                   help="list the first N misclassified rows (default 50)")
    p.add_argument("--n-repeats", type=_count, default=5, metavar="K",
                   help="shuffles per modality for the permutation contribution (default "
                        "5; each costs one prediction of the rows; 0 leaves it out)")
    p.add_argument("--scheduler", default=None, metavar="local|ADDRESS",
                   help="screen and predict the rows in chunks as Dask tasks ('local' "
                        "starts a LocalCluster on 127.0.0.1, else the address of a running "
                        "scheduler); the same report as without")
    p.add_argument("--n-jobs", type=int, default=None, metavar="N",
                   help="with --scheduler local, the number of Dask workers (2 by default)")
    _common_options(p, _cmd_evaluate)
    return parser


# --------------------------------------------------------------------------- main

_SELF_EXPLAINING = (ValueError, FileNotFoundError, ConnectionError, PermissionError)


def _one_line(exc) -> str:
    """An exception as one line: its message with newlines folded; the type where the
    message alone would not say what went wrong."""
    text = " ".join(str(exc).split())
    if text and isinstance(exc, _SELF_EXPLAINING):
        return text
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _install_warning_display(command):
    """Warnings become one line each on stderr, each distinct message once."""
    import warnings  # noqa: PLC0415

    seen = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text in seen:
            return
        seen.add(text)
        print(f"mmfuse {command}: warning: {text}", file=sys.stderr)

    warnings.showwarning = show


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_USAGE
    import warnings  # noqa: PLC0415

    saved = warnings.showwarning
    _install_warning_display(args.command)
    try:
        return args.func(args)
    except (UsageError, ImportError) as exc:  # misuse, or a component not installed
        print(f"mmfuse {args.command}: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"mmfuse {args.command}: interrupted; no partial output was written",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - a failed run is one line, exit 1
        if getattr(args, "verbose", False):
            import traceback  # noqa: PLC0415

            traceback.print_exc()
        hint = "" if getattr(args, "verbose", True) else " (--verbose shows the traceback)"
        print(f"mmfuse {args.command}: error: {_one_line(exc)}{hint}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        warnings.showwarning = saved


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
