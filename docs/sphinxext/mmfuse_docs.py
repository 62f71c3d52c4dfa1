"""Build-time pages of the documentation: the API reference and the CLI's help.

The API reference lists every public class, function and constant of every
public module of :mod:`mmfuse` (a module whose dotted path has no component
starting with ``_``): the names in the module's ``__all__``, or, for a module
without one (the recipes), the functions and classes defined there. A name
exported by several modules (:func:`mmfuse.save` and :func:`mmfuse.persistence.save`;
a package and the compatibility module that keeps old model files loading) is documented
once, under the shortest path, so a new public module or name appears without editing this file.
``MODULES`` only orders the sections and gives them titles.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

# section order and titles; modules not listed follow in alphabetical order
MODULES = {
    "mmfuse": "Configuration and input errors",
    "mmfuse.exceptions": "Errors and warnings",
    "mmfuse.image": "Image features",
    "mmfuse.text": "Text features",
    "mmfuse.audio": "Audio features",
    "mmfuse.fusion": "Fusion",
    "mmfuse.kernels": "Kernels",
    "mmfuse.datasets": "Datasets and manifests",
    "mmfuse.io": "Loading items",
    "mmfuse.persistence": "Saving and loading models",
    "mmfuse.scoring": "Batch scoring",
    "mmfuse.distributed": "Training and prediction on Dask",
    "mmfuse.report": "Evaluation reports",
    "mmfuse.pipelines": "Recipes",
    "mmfuse.cli": "Command line",
}


def _public(modname):
    return not any(part.startswith("_") for part in modname.split(".")[1:])


def public_modules():
    """Every importable public module of mmfuse, recipes included."""
    names = {"mmfuse"}
    for pkg in ("mmfuse", "mmfuse.pipelines"):
        module = importlib.import_module(pkg)
        names.add(pkg)
        names.update(m.name for m in pkgutil.walk_packages(module.__path__, pkg + ".")
                     if _public(m.name))
    names = {n for n in names if _public(n)}
    return sorted(names, key=_section_key)


def _section_key(modname):
    """Listed modules in ``MODULES`` order, each followed by its public submodules."""
    order = list(MODULES)
    parent = max((m for m in order if modname == m or modname.startswith(m + ".")),
                 key=len, default=None)
    return (order.index(parent) if parent else len(order), modname.count("."), modname)


def _exports(module):
    """``{name: object}`` a module makes public."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, obj in vars(module).items() if not n.startswith("_")
                 and (inspect.isfunction(obj) or inspect.isclass(obj))
                 and obj.__module__ == module.__name__]
    out = {}
    for name in names:
        if name.startswith("__"):
            continue
        obj = getattr(module, name)
        if inspect.ismodule(obj):
            continue
        out[name] = obj
    return out


def api_entries():
    """``[(module, title, {kind: [names]})]``, each object once, under its shortest path."""
    seen = set()
    entries = []
    for modname in public_modules():
        module = importlib.import_module(modname)
        kinds = {"classes": [], "functions": [], "constants": []}
        for name, obj in sorted(_exports(module).items()):
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            kind = ("classes" if inspect.isclass(obj) else
                    "functions" if callable(obj) else "constants")
            kinds[kind].append(name)
        if any(kinds.values()):
            entries.append((modname, MODULES.get(modname), kinds))
    return entries


def write_api_page(path):
    """Write the API reference page (reStructuredText with autosummary tables)."""
    lines = [".. This file is written by docs/sphinxext/mmfuse_docs.py at build time.", "",
             ".. _api:", "", "API reference", "=============", "",
             "Every public class, function and constant of mmfuse, generated from the "
             "numpydoc docstrings (parameters with shapes and units, the errors raised, the "
             "papers and peer libraries each method comes from). The top-level "
             ":func:`mmfuse.save` and :func:`mmfuse.load` are "
             ":func:`mmfuse.persistence.save` and :func:`mmfuse.persistence.load`.", ""]
    for modname, title, kinds in api_entries():
        heading = f":mod:`{modname}`" + (f": {title}" if title else "")
        lines += [heading, "-" * len(heading), "",
                  f".. automodule:: {modname}", "   :no-members:", "   :no-index:", "",
                  f".. currentmodule:: {modname}", ""]
        for kind in ("classes", "functions"):  # templates: _templates/autosummary/
            if kinds[kind]:
                lines += [".. autosummary::", "   :toctree: generated/", "",
                          *[f"   {n}" for n in kinds[kind]], ""]
        for name in kinds["constants"]:
            lines += [f".. autodata:: {name}", "   :no-value:", ""]
            value = repr(getattr(importlib.import_module(modname), name))
            lines += [f"   Value: ``{value}``" if len(value) < 160 else
                      "   (see the source for its value)", ""]
    text = "\n".join(lines) + "\n"
    path = Path(path)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def write_cli_help(folder):
    """``mmfuse --help`` and each command's ``--help``, as text files for literalinclude."""
    import os

    from mmfuse.cli import build_parser

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    pages = {"mmfuse": parser, **{f"mmfuse-{name}": p for name, p in sub.choices.items()}}
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # a fixed width, whatever the terminal of the build
    try:
        for name, p in pages.items():
            text = p.format_help()
            target = folder / f"{name}.txt"
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8")
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved
    return list(pages)
