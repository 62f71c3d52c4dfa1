"""The documentation stays true without building it: its code runs, its reference is complete,
its gallery is executed on embedded data, and the README's links and fragments exist.

The site itself is built by `.ci/run` (``sphinx-build -W``), which runs every gallery example.
"""

import ast
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.skipif(not DOCS.is_dir(), reason="docs/ not in this tree")

# a fenced ```python block of a docs page runs here; a ```{code-block} python block is
# shown only, and its page says why (it needs a cluster, a GPU or files that are not there)
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _code_blocks():
    for page in sorted(DOCS.rglob("*.md")):
        if "_build" in page.parts:
            continue
        for k, code in enumerate(_BLOCK.findall(page.read_text(encoding="utf-8"))):
            yield pytest.param(code, id=f"{page.relative_to(DOCS)}-{k}")


@pytest.mark.parametrize("code", list(_code_blocks()))
def test_user_guide_code_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs code block", "exec"), {"__name__": "__docs__"})  # noqa: S102


def _docs_helper():
    spec = importlib.util.spec_from_file_location("mmfuse_docs",
                                                  DOCS / "sphinxext" / "mmfuse_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_api_reference_lists_every_public_name_once():
    helper = _docs_helper()
    modules = helper.public_modules()
    for name in ("mmfuse", "mmfuse.image", "mmfuse.text", "mmfuse.audio", "mmfuse.fusion",
                 "mmfuse.kernels", "mmfuse.datasets", "mmfuse.io", "mmfuse.persistence",
                 "mmfuse.scoring", "mmfuse.report", "mmfuse.pipelines"):
        assert name in modules
    assert not [m for m in modules if any(p.startswith("_") for p in m.split(".")[1:])]
    documented = {}
    for modname, _, kinds in helper.api_entries():
        module = importlib.import_module(modname)
        for names in kinds.values():
            for n in names:
                obj = getattr(module, n)
                assert id(obj) not in documented, (modname, n, documented.get(id(obj)))
                documented[id(obj)] = f"{modname}.{n}"
    for modname in modules:
        module = importlib.import_module(modname)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if name.startswith("__") or type(obj).__name__ == "module":
                continue
            assert id(obj) in documented, f"{modname}.{name} is not in the API reference"


def _examples():
    return sorted(p for p in EXAMPLES.rglob("*.py"))


def test_gallery_has_executed_examples_with_plots_on_embedded_data():
    examples = _examples()
    assert len(examples) >= 8
    for path in examples:
        # conf.py executes files named plot_*: every example is executed when the docs build
        assert path.name.startswith("plot_"), path
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        doc = ast.get_docstring(tree)
        assert doc and re.match(r"[^\n]+\n=+\n", doc), f"{path.name}: no title"
        assert "plt.subplots(" in source, f"{path.name}: draws no figure"
        assert "from mmfuse" in source or "import mmfuse" in source
        assert "load_av_digits" in source or "make_multimodal" in source, path.name
        # never data from outside the package, never a network, never a backend choice
        for forbidden in ("../shared", "shared/datasets", "http://", "https://",
                          "matplotlib.use", "urlopen", "requests"):
            assert forbidden not in source, f"{path.name} contains {forbidden!r}"
    for folder in [EXAMPLES, *[p for p in EXAMPLES.iterdir() if p.is_dir()]]:
        assert (folder / "README.txt").is_file(), folder


def test_docs_code_never_reads_shared():
    """The build (conf.py, its extension) and the code it runs use only the package's data;
    the results page may name ../shared where it says which command read what."""
    code = [p.read_text(encoding="utf-8") for p in DOCS.rglob("*.py")
            if "_build" not in p.parts and "auto_examples" not in p.parts]
    code += [b.values[0] for b in _code_blocks()]
    assert code and not [c for c in code if "../shared" in c or "shared/datasets" in c]


def test_readme_links_and_included_fragments_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)\)", readme):
        assert (ROOT / target).is_file(), target
    # the docs pages include these README fragments verbatim: each marker once
    for marker in ("docs:fusion:start", "docs:cli:start", "docs:cli:end", "docs:inputs:start",
                   "docs:row-contract", "docs:inputs:end"):
        assert readme.count(f"<!-- {marker} -->") == 1, marker
    for page in DOCS.rglob("*.md"):
        for marker in re.findall(r":(?:start-after|end-before): <!-- (\S+) -->",
                                 page.read_text(encoding="utf-8")):
            assert f"<!-- {marker} -->" in readme, (page.name, marker)
    # what moved to the docs is linked, not repeated
    for heading in ("## Results", "## Parameters", "## CPU and GPU"):
        assert heading not in readme
