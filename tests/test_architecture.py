"""The import rules of docs/architecture.md, read from the source with :mod:`ast`.

Every ``import`` and ``from ... import`` of every module under ``mmfuse/`` counts, at module
level or inside a function (a lazy import is still a dependency), and so do the imports a
package's ``__init__.pyi`` stub declares (``lazy_loader`` imports them on first use). The
rules:

(a) only ``mmfuse/_backend.py`` imports CuPy;
(b) only ``mmfuse/cli.py`` and ``mmfuse/_demo.py`` (the command line's private helper)
    import the recipes, ``mmfuse.pipelines``; the library never does;
(c) no module imports from a higher layer of ``LAYERS``;
(d) the imports between mmfuse's modules have no cycle;
(e) no module selects a matplotlib backend or draws through pyplot's global state;
(f) the implementation modules of ``image``, ``text``, ``audio`` and ``fusion`` are private
    (``_sift.py``), their packages re-export the public names; a public-named module there
    is one of ``COMPATIBILITY_MODULES`` and only re-exports from its private twin.

A deliberate exception is listed in ``ALLOWED`` with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mmfuse"

#: lowest first; a module may import from its own layer and the layers before it. A name is
#: the first component after ``mmfuse.`` (``fusion`` covers ``mmfuse.fusion._late``).
LAYERS = [
    ("exceptions", "_config", "_backend", "_compat", "_validation"),  # foundations
    ("io", "_base", "_parallel", "_schema", "kernels"),  # loading items, shared helpers
    ("image", "text", "audio"),  # extractors
    ("fusion", "svm"),  # fusion and deciders
    ("datasets", "data", "persistence", "scoring", "report", "distributed"),  # whole models
    ("pipelines",),  # the recipes
    ("cli", "_demo", "__main__"),  # the command line
]

#: may import ``mmfuse.pipelines`` (besides the recipes themselves)
RECIPE_USERS = {"mmfuse.cli", "mmfuse._demo"}

#: {(importer, imported): reason} for an import that breaks (b), (c) or (d) on purpose
ALLOWED: dict[tuple[str, str], str] = {
    ("mmfuse", "mmfuse.pipelines"): "the facade's stub names every subpackage, so that "
    "``mmfuse.pipelines`` resolves as an attribute; nothing is imported until it is used",
}

#: {module: reason} the public-named modules left in the extractor and fusion packages
COMPATIBILITY_MODULES = {
    f"mmfuse.{old}": "model files saved by earlier versions name their classes by this path "
    "(joblib pickles and skops archives record the module); it re-exports them so they load"
    for old in ("fusion.early", "fusion.late", "fusion.kernel", "image.sift", "image.encoding",
                "text.tfidf")
}


def _module_names():
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _module_names()


class Import:
    def __init__(self, source, target, line, lazy, path=None):
        self.source, self.target, self.line, self.lazy = source, target, line, lazy
        self.path = path or MODULES[source][0]

    def __repr__(self):
        where = self.path.relative_to(PACKAGE.parent)
        return f"{where}:{self.line}: {self.source} -> {self.target}" + (
            " (lazy)" if self.lazy else "")


def _absolute(module, is_package, node):
    if not node.level:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module):
    """Every import of ``module``: the modules it names, mmfuse's or not.

    A package's ``__init__.pyi`` stub counts as lazy imports of the package."""
    path, is_package = MODULES[module]
    yield from _imports_in(module, is_package, path, stub=False)
    if is_package and path.with_suffix(".pyi").is_file():
        yield from _imports_in(module, is_package, path.with_suffix(".pyi"), stub=True)


def _imports_in(module, is_package, path, *, stub):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        lazy = stub or id(node) not in top_level
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, node.lineno, lazy, path)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node)
            for alias in node.names:
                sub = f"{base}.{alias.name}"  # ``from . import late`` names a module
                yield Import(module, sub if sub in MODULES else base, node.lineno, lazy, path)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            yield Import(module, node.args[0].value, node.lineno, True, path)


IMPORTS = [imp for module in MODULES for imp in _imports(module)]
INTERNAL = [imp for imp in IMPORTS if imp.target == "mmfuse" or
            imp.target.startswith("mmfuse.")]


def _layer(module):
    if module == "mmfuse":
        return None  # the package itself: see test_the_package_facade_imports_nothing_eagerly
    top = module.split(".")[1]
    for k, names in enumerate(LAYERS):
        if top in names:
            return k
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py::LAYERS")


def _allowed(imp):
    return (imp.source, imp.target) in ALLOWED


def test_the_rules_see_the_whole_package():
    assert len(MODULES) > 40 and "mmfuse.fusion._late" in MODULES
    assert len(INTERNAL) > 200
    for module in MODULES:
        _layer(module)  # every module is placed in a layer
    assert {imp.target for imp in INTERNAL} - set(MODULES) == set()


def test_a_only_the_backend_imports_cupy():
    offenders = [imp for imp in IMPORTS if imp.target.split(".")[0] in ("cupy", "cupyx")
                 and imp.source != "mmfuse._backend"]
    assert offenders == [], "\n".join(map(repr, offenders))
    assert any(imp.source == "mmfuse._backend" and imp.target == "cupy" for imp in IMPORTS)


def test_b_the_library_does_not_import_the_recipes():
    offenders = [imp for imp in INTERNAL
                 if (imp.target == "mmfuse.pipelines" or imp.target.startswith("mmfuse.pipelines."))
                 and not (imp.source in RECIPE_USERS or imp.source.startswith("mmfuse.pipelines"))
                 and not _allowed(imp)]
    assert offenders == [], "\n".join(map(repr, offenders))


def test_c_no_module_imports_from_a_higher_layer():
    offenders = [imp for imp in INTERNAL
                 if imp.source != "mmfuse" and imp.target != "mmfuse"
                 and _layer(imp.target) > _layer(imp.source) and not _allowed(imp)]
    assert offenders == [], "\n".join(map(repr, offenders))


def test_the_package_facade_imports_nothing_eagerly():
    """``import mmfuse`` imports none of mmfuse's modules: each is loaded on first use
    (``lazy_loader``, from ``mmfuse/__init__.pyi``). Any module may import the package
    itself (``__version__``)."""
    eager = [imp for imp in INTERNAL if imp.source == "mmfuse" and not imp.lazy]
    assert eager == [], eager
    lazy = {imp.target for imp in INTERNAL if imp.source == "mmfuse" and imp.lazy}
    assert {"mmfuse._config", "mmfuse.exceptions", "mmfuse.fusion",
            "mmfuse.persistence"} <= lazy


def test_the_subpackages_import_nothing_eagerly():
    """``image``, ``text``, ``audio`` and ``fusion`` only attach their ``__init__.pyi``
    stubs: their modules load when a name is first used."""
    for package in ("mmfuse.image", "mmfuse.text", "mmfuse.audio", "mmfuse.fusion"):
        eager = [imp for imp in INTERNAL if imp.source == package and not imp.lazy]
        assert eager == [], eager
        assert any(imp.source == package and imp.lazy for imp in INTERNAL), package


def _cycles(edges):
    """The strongly connected components of more than one module (Tarjan)."""
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert _cycles([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]) == [["a", "b", "c"]]
    assert _cycles([("a", "b"), ("b", "c")]) == []


def test_d_no_import_cycles():
    """Between mmfuse's modules, lazy imports included. Importing the package itself (the
    facade, for ``__version__``) is left out: it loads only the bottom layer."""
    edges = {(imp.source, imp.target) for imp in INTERNAL
             if imp.target != "mmfuse" and imp.source != imp.target and not _allowed(imp)}
    assert _cycles(edges) == [], _cycles(edges)


def test_e_the_library_never_selects_a_matplotlib_backend():
    offenders = [imp for imp in IMPORTS if imp.target == "matplotlib.pyplot"]
    for module, (path, _) in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("use", "switch_backend")):
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in ("matplotlib", "mpl", "plt"):
                    offenders.append(f"{module}:{node.lineno}")
    assert offenders == [], "\n".join(map(repr, offenders))


def test_every_allowed_exception_is_still_needed_and_explained():
    for (source, target), reason in ALLOWED.items():
        assert len(reason) > 20, (source, target)
        assert any((imp.source, imp.target) == (source, target) for imp in INTERNAL)


def test_f_implementation_modules_are_private():
    public = {m for m, (_, is_package) in MODULES.items() if not is_package
              and m.split(".")[1] in ("image", "text", "audio", "fusion")
              and not m.rsplit(".", 1)[1].startswith("_")}
    assert public == set(COMPATIBILITY_MODULES)
    for module, reason in COMPATIBILITY_MODULES.items():
        assert len(reason) > 20, module


def test_f_compatibility_modules_only_re_export():
    """A docstring, ``from ._<name> import ...`` of its private twin, and ``__all__``."""
    for module in COMPATIBILITY_MODULES:
        path, _ = MODULES[module]
        twin = "_" + module.rsplit(".", 1)[1]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), module
        for node in tree.body[1:]:
            if isinstance(node, ast.ImportFrom):
                assert (node.level, node.module) == (1, twin), (module, node.lineno)
            else:
                assert (isinstance(node, ast.Assign) and len(node.targets) == 1
                        and getattr(node.targets[0], "id", None) == "__all__"
                        and isinstance(node.value, ast.List)), (module, node.lineno)
