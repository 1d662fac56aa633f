"""Sphinx configuration for tether's documentation.

Built by ``make docs`` and by the test command (``scripts/test.sh``) with
``-W --keep-going``: every warning is an error. No network is used at build
time (no intersphinx).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Document the source tree even when tether is not installed.
sys.path.insert(0, str(ROOT / "src"))

import tether  # noqa: E402

project = "tether"
author = "the tether developers"
copyright = "the tether developers"
release = tether.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "snippets", "Thumbs.db", ".DS_Store"]

# -- autodoc / napoleon -------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
# "Attributes:" sections become fields of the class, not separate attribute
# entries, so they never clash with properties documented by autodoc.
napoleon_use_ivar = True
napoleon_use_rtype = False

default_role = "py:obj"
add_module_names = False
python_use_unqualified_type_names = True

# -- MyST (docs/design.md) ----------------------------------------------------
myst_heading_anchors = 3

# -- HTML ---------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"tether {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Structured concurrency for Python, with Trio's API",
    "fixed_sidebar": True,
}
