"""Sphinx configuration of the mmfuse documentation.

Build (from the repository root, after ``pip install '.[docs]'``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The API reference (``api.rst``), its autosummary pages (``generated/``), the
CLI's help texts (``_generated/``) and the example gallery (``auto_examples/``,
run from ``../examples``) are written by the build; none is committed.
Nothing here reads the development data sets outside the repository: the
gallery runs on the data embedded in the package.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "sphinxext"))

import mmfuse  # noqa: E402
from mmfuse_docs import write_api_page, write_cli_help  # noqa: E402

project = "mmfuse"
author = "mmfuse developers"
copyright = "mmfuse developers, BSD-3-Clause"  # noqa: A001
version = release = mmfuse.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/*.md5",
                    "sphinxext"]
default_role = "literal"
nitpicky = False

# ------------------------------------------------------------------ API reference
# autosummary rewrites its pages on every build but never deletes one whose object left
# the API, and such a stale page fails the build: start from an empty folder
shutil.rmtree(HERE / "generated", ignore_errors=True)
write_api_page(HERE / "api.rst")
write_cli_help(HERE / "_generated")

autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# every parameter in a signature is documented, and only those
numpydoc_validation_checks = {"PR01", "PR02"}
numpydoc_validation_exclude = {
    r"\.__init__$",  # documented on the class
    # The recipes (mmfuse.pipelines) describe their
    # build() keywords in prose; they are listed in the reference but not yet
    # held to this check.
    r"^mmfuse\.pipelines\.",
}

# ------------------------------------------------------------------ MyST (user guide)
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# ------------------------------------------------------------------ gallery
# Every example whose file name starts with plot_ runs at build time, on the data
# embedded in the package (load_av_digits, make_multimodal), in seconds; all of
# them do. An example that could not (a GPU, a cluster, data from outside the
# package) would be named without the plot_ prefix, which sphinx-gallery shows
# without running, and would say why in its docstring.
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    # one modality, then fusion, then deployment; any other folder after them
    "subsection_order": ["../examples/features", "../examples/fusion",
                         "../examples/deployment", "*"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "doc_module": ("mmfuse",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"mmfuse": None},
    "min_reported_time": 0,
    "show_memory": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "plot_gallery": "True",
}
# Matplotlib renders off screen when the docs build (the gallery scraper reads
# pyplot's figures); the library itself never selects a backend.
os.environ.setdefault("MPLBACKEND", "Agg")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg",
                        category=UserWarning)

# ------------------------------------------------------------------ HTML
html_theme = "pydata_sphinx_theme"
html_title = f"mmfuse {version}"
html_static_path = ["_static"]
html_css_files = ["mmfuse.css"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_context = {"default_mode": "light"}
