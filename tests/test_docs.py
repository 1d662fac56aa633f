"""The documentation keeps up with the code.

* Every public name of ``tether``, ``tether.lowlevel``, ``tether.abc`` and
  ``tether.testing`` is listed in the API reference (``docs/reference/*.rst``).
  To add a name, add one ``.. autofunction:: name`` / ``.. autoclass:: Name``
  / ``.. autoexception:: Name`` line to that module's page, in the section it
  belongs to (the page's ``automodule`` sets the module, so use the bare name).
* Every public class and function has a docstring of its own.
* The tutorial's programs (``docs/snippets/*.py``) run and print what the
  docs say they print (the ``# Output:`` block at the end of each).

The docs build itself (``sphinx -W``) runs in ``scripts/test.sh``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REFERENCE = DOCS / "reference"
SNIPPETS = DOCS / "snippets"

PUBLIC_MODULES = [
    "tether",
    "tether.lowlevel",
    "tether.abc",
    "tether.testing",
    "tether.to_thread",
    "tether.from_thread",
    "tether.socket",
]

# Directives that document one object, and those that set the current module.
_OBJECT_DIRECTIVE = re.compile(
    r"^\s*\.\.\s+(?:auto(?:class|function|exception|data|attribute|method|decorator)"
    r"|py:(?:class|function|exception|data|attribute|method|decorator))::\s+([\w.]+)",
    re.MULTILINE,
)
_MODULE_DIRECTIVE = re.compile(
    r"^\s*\.\.\s+(?:automodule|py:module|module|currentmodule|py:currentmodule)::\s+([\w.]+)"
)


def public_names(module: ModuleType) -> list[str]:
    """The names a module exports: not private, not a submodule, not a
    ``__future__`` feature."""
    return sorted(
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(obj)
        and type(obj).__module__ != "__future__"
        # tether.socket's constants are the standard library's: not listed.
        and not (module.__name__ == "tether.socket" and name.isupper())
    )


def documented_names() -> set[str]:
    """Fully qualified names documented by directives in the reference pages."""
    found: set[str] = set()
    for page in sorted(REFERENCE.glob("*.rst")):
        current = ""
        for line in page.read_text().splitlines():
            module_match = _MODULE_DIRECTIVE.match(line)
            if module_match:
                current = module_match.group(1)
                continue
            obj_match = _OBJECT_DIRECTIVE.match(line)
            if obj_match:
                name = obj_match.group(1)
                if not name.startswith("tether.") and name != "tether":
                    name = f"{current}.{name}" if current else name
                found.add(name)
    return found


def _all_public() -> list[tuple[str, str]]:
    return [
        (modname, name)
        for modname in PUBLIC_MODULES
        for name in public_names(importlib.import_module(modname))
    ]


def test_reference_pages_exist() -> None:
    for modname in PUBLIC_MODULES:
        page = REFERENCE / f"{modname.removeprefix('tether.')}.rst"
        assert page.is_file(), f"missing API reference page {page}"
        assert f".. automodule:: {modname}\n" in page.read_text()


def test_parser_sees_the_reference() -> None:
    # Guards the parsing itself: a regex that matched nothing would make the
    # next test vacuous.
    documented = documented_names()
    assert "tether.run" in documented
    assert "tether.lowlevel.Task" in documented
    assert "tether.abc.Clock" in documented
    assert "tether.testing.MockClock" in documented


@pytest.mark.parametrize(("modname", "name"), _all_public())
def test_public_name_is_in_the_reference(modname: str, name: str) -> None:
    page = REFERENCE / f"{modname.removeprefix('tether.')}.rst"
    assert f"{modname}.{name}" in documented_names(), (
        f"{modname}.{name} is public but missing from the API reference: add "
        f"'.. autofunction:: {name}' (or autoclass / autoexception) to "
        f"{page.relative_to(ROOT)}"
    )


def test_reference_documents_only_public_names() -> None:
    public = {f"{modname}.{name}" for modname, name in _all_public()}
    public |= set(PUBLIC_MODULES)
    stale = sorted(
        name
        for name in documented_names()
        # Members documented on their own (Class.method) are fine.
        if name not in public and name.rsplit(".", 1)[0] not in public
    )
    assert not stale, f"the API reference documents names that are not public: {stale}"


def _public_code_objects() -> list[tuple[str, str]]:
    # Classes and functions; data constants (TASK_STATUS_IGNORED...) are
    # documented on the reference page itself.
    return [
        (modname, name)
        for modname, name in _all_public()
        if callable(getattr(importlib.import_module(modname), name))
        # tether.socket re-exports some standard library objects unchanged.
        and getattr(importlib.import_module(modname), name).__module__ != "socket"
    ]


@pytest.mark.parametrize(("modname", "name"), _public_code_objects())
def test_public_name_has_a_docstring(modname: str, name: str) -> None:
    obj = getattr(importlib.import_module(modname), name)
    # A class's own docstring: inherited ones (Exception's, say) don't count.
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    assert doc, f"{modname}.{name} has no docstring"
    assert doc.strip(), f"{modname}.{name} has an empty docstring"


# -- the tutorial's programs -------------------------------------------------------

SNIPPET_FILES = sorted(p.name for p in SNIPPETS.glob("*.py"))
_MAIN_GUARD = 'if __name__ == "__main__":\n    tether.run(main)\n'


def expected_output(source: str) -> str:
    _, marker, block = source.partition("\n# Output:\n")
    assert marker, "a snippet must end with a '# Output:' block"
    return "".join(line.removeprefix("# ").removeprefix("#") + "\n" for line in block.splitlines())


def test_snippets_exist_and_are_shown() -> None:
    assert SNIPPET_FILES
    pages = "\n".join(p.read_text() for p in DOCS.glob("*.rst"))
    for name in SNIPPET_FILES:
        assert f"literalinclude:: snippets/{name}" in pages, f"{name} is not in any page"


@pytest.mark.parametrize("name", SNIPPET_FILES)
def test_snippet_prints_what_the_docs_say(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = SNIPPETS / name
    source = path.read_text()
    expected = expected_output(source)
    if _MAIN_GUARD in source:
        # Run main() in virtual time: fast, and the printed timings are exact.
        import tether
        from tether.testing import MockClock

        spec = importlib.util.spec_from_file_location(f"_docs_snippet_{path.stem}", path)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        tether.run(module.main, clock=MockClock(autojump_threshold=0))
        output = capsys.readouterr().out
    else:
        result = subprocess.run(
            [sys.executable, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        output = result.stdout
    assert output == expected
