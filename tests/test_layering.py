"""Enforce tether's import layering with a static (``ast``) walk of the sources.

Layers, from the bottom up:

* leaves ``tether._util`` / ``tether._deprecate``: standard library only;
* ``tether._core``: relative imports within ``_core`` plus the leaves;
* high-level private modules ``tether/_*.py``: ``._core`` and private siblings;
* namespace modules (``tether``, ``tether.lowlevel``, ...): re-exports only;
* ``tether_asyncio``: tether's public namespace modules only.

Nothing in ``tether`` may import asyncio, trio, anyio, uvloop or the facade.
Imports under ``if TYPE_CHECKING:`` are exempt from the ``_core`` rule only.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
COMPAT = ROOT / "compat"
TETHER_DIR = SRC / "tether"
FACADE_DIR = COMPAT / "tether_asyncio"

FORBIDDEN_IN_TETHER = frozenset({"asyncio", "tether_asyncio", "trio", "anyio", "uvloop"})
LEAF_MODULES = frozenset({"tether._util", "tether._deprecate"})
NAMESPACE_MODULES = frozenset(
    {
        "tether",
        "tether.lowlevel",
        "tether.abc",
        "tether.socket",
        "tether.to_thread",
        "tether.from_thread",
        "tether.testing",
    }
)
# Conditions a namespace module may branch on.
NAMESPACE_IF_MARKERS = ("TYPE_CHECKING", "sys.platform", "os.name", "sys.version_info")


@dataclass(frozen=True)
class ImportRecord:
    """One imported module (``from m import a, b`` yields a record per name)."""

    lineno: int
    text: str  # the import statement as written, for messages
    level: int  # 0 for absolute imports
    module: str  # absolute name of the module in the ``from`` clause / ``import``
    target: str  # best guess at what is bound: ``module.name`` for from-imports
    name: str | None  # the imported name of a from-import, else None
    type_checking: bool  # under ``if TYPE_CHECKING:``


@dataclass(frozen=True)
class Module:
    relpath: str
    modname: str
    tree: ast.Module
    imports: tuple[ImportRecord, ...]
    errors: tuple[str, ...]  # unresolvable relative imports etc.

    def where(self, rec: ImportRecord) -> str:
        return f"{self.relpath}:{rec.lineno}: {rec.text}"


def module_name(relpath: str) -> str:
    """``src/tether/_core/_run.py`` -> ``tether._core._run``."""
    parts = list(Path(relpath).with_suffix("").parts)
    if parts and parts[0] in ("src", "compat"):
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking_test(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    if isinstance(test, ast.Attribute):
        return test.attr == "TYPE_CHECKING"
    return False


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, modname: str, is_package: bool) -> None:
        self.package = modname if is_package else modname.rpartition(".")[0]
        self.records: list[ImportRecord] = []
        self.errors: list[str] = []
        self._type_checking = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking_test(node.test):
            self._type_checking += 1
            for stmt in node.body:
                self.visit(stmt)
            self._type_checking -= 1
            for stmt in node.orelse:
                self.visit(stmt)
        else:
            self.generic_visit(node)

    def _add(
        self, node: ast.stmt | ast.expr, level: int, module: str, target: str, name: str | None
    ) -> None:
        self.records.append(
            ImportRecord(
                lineno=node.lineno,
                text=ast.unparse(node),
                level=level,
                module=module,
                target=target,
                name=name,
                type_checking=self._type_checking > 0,
            )
        )

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, 0, alias.name, alias.name, None)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".") if self.package else []
            up = node.level - 1
            if up >= len(parts):
                self.errors.append(
                    f"line {node.lineno}: {ast.unparse(node)}: relative import "
                    f"beyond the top-level package"
                )
                return
            base = ".".join(parts[: len(parts) - up])
            module = ".".join(p for p in (base, node.module or "") if p)
        else:
            module = node.module or ""
        for alias in node.names:
            target = module if alias.name == "*" else f"{module}.{alias.name}"
            self._add(node, node.level, module, target, alias.name)

    def visit_Call(self, node: ast.Call) -> None:
        # importlib.import_module("x") / __import__("x") with a literal absolute name.
        func = node.func
        fname = (
            func.id
            if isinstance(func, ast.Name)
            else func.attr
            if isinstance(func, ast.Attribute)
            else ""
        )
        if (
            fname in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and not node.args[0].value.startswith(".")
        ):
            name = node.args[0].value
            self._add(node, 0, name, name, None)
        self.generic_visit(node)


def parse_module(relpath: str, source: str) -> Module:
    modname = module_name(relpath)
    tree = ast.parse(source, filename=relpath)
    collector = _ImportCollector(modname, is_package=Path(relpath).name == "__init__.py")
    collector.visit(tree)
    return Module(
        relpath=relpath,
        modname=modname,
        tree=tree,
        imports=tuple(collector.records),
        errors=tuple(f"{relpath}:{e}" for e in collector.errors),
    )


def _root(name: str) -> str:
    return name.partition(".")[0]


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


# --------------------------------------------------------------------------- rules
# Each rule takes a parsed module and returns violation messages (empty = fine).
# A rule ignores modules it does not apply to.

Rule = Callable[[Module], list[str]]


def rule_no_foreign_event_loops(mod: Module) -> list[str]:
    """Nothing in tether imports asyncio, trio, anyio, uvloop or the facade."""
    if not _within(mod.modname, "tether"):
        return []
    return [
        f"{mod.where(rec)}  -> tether must not import {_root(rec.module)!r}"
        for rec in mod.imports
        if _root(rec.module) in FORBIDDEN_IN_TETHER
    ]


def rule_leaves_stdlib_only(mod: Module) -> list[str]:
    """tether._util and tether._deprecate import only the standard library."""
    if mod.modname not in LEAF_MODULES:
        return []
    return [
        f"{mod.where(rec)}  -> {mod.modname} is a leaf: standard library imports only"
        for rec in mod.imports
        if rec.level or _root(rec.module) not in sys.stdlib_module_names
    ]


def rule_core_imports(mod: Module) -> list[str]:
    """tether._core imports only relatively within _core, or the leaves."""
    if not _within(mod.modname, "tether._core"):
        return []
    bad: list[str] = []
    for rec in mod.imports:
        if rec.type_checking or not (rec.level or _root(rec.module) == "tether"):
            continue  # stdlib / third party, or typing-only
        if rec.level == 0:
            bad.append(
                f"{mod.where(rec)}  -> absolute tether import in _core; "
                f"use a relative import (from ._x import y)"
            )
        elif not (
            _within(rec.module, "tether._core")
            or any(_within(rec.module, leaf) for leaf in LEAF_MODULES)
            or (rec.module == "tether" and rec.target in LEAF_MODULES)  # from .. import _util
        ):
            bad.append(
                f"{mod.where(rec)}  -> _core may only import from _core or "
                f"{sorted(LEAF_MODULES)}, not {rec.target}"
            )
    return bad


def _is_high_level(modname: str) -> bool:
    parts = modname.split(".")
    return len(parts) == 2 and parts[0] == "tether" and parts[1].startswith("_")


def _is_private_tether(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tether" and len(parts) >= 2 and parts[1].startswith("_")


def rule_high_level_imports(mod: Module) -> list[str]:
    """tether/_*.py import ._core and private siblings, never namespace modules."""
    if not _is_high_level(mod.modname) or _within(mod.modname, "tether._core"):
        return []
    bad: list[str] = []
    for rec in mod.imports:
        if not (rec.level or _root(rec.module) == "tether"):
            continue
        if rec.level == 0:
            bad.append(
                f"{mod.where(rec)}  -> absolute tether import in a high-level module; "
                f"use relative imports (from ._core import x)"
            )
        elif not _is_private_tether(rec.target):
            bad.append(
                f"{mod.where(rec)}  -> high-level modules must not import the "
                f"namespace module {rec.target if rec.module == 'tether' else rec.module}; "
                f"import from ._core or a private sibling"
            )
    return bad


def _namespace_stmt_errors(mod: Module, body: list[ast.stmt]) -> Iterator[str]:
    for stmt in body:
        line = f"{mod.relpath}:{stmt.lineno}"
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign | ast.Delete):
            continue
        if isinstance(stmt, ast.Expr) and (
            isinstance(stmt.value, ast.Call)
            or (isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str))
        ):
            continue
        if isinstance(stmt, ast.If):
            test = ast.unparse(stmt.test)
            if not any(marker in test for marker in NAMESPACE_IF_MARKERS):
                yield (
                    f"{line}: `if {test}:`  -> namespace modules may only branch on "
                    f"{', '.join(NAMESPACE_IF_MARKERS)}"
                )
            yield from _namespace_stmt_errors(mod, stmt.body)
            yield from _namespace_stmt_errors(mod, stmt.orelse)
            continue
        first = ast.unparse(stmt).splitlines()[0]
        yield (
            f"{line}: {first}  -> namespace modules may only contain imports, "
            f"assignments, docstrings and fix-up calls (move code into a private module)"
        )


def rule_namespace_modules_reexport_only(mod: Module) -> list[str]:
    """Namespace modules contain only imports, assignments, docstrings and calls."""
    if mod.modname not in NAMESPACE_MODULES:
        return []
    return list(_namespace_stmt_errors(mod, mod.tree.body))


def rule_facade_uses_public_api(mod: Module) -> list[str]:
    """tether_asyncio imports only tether's public namespace modules."""
    if not _within(mod.modname, "tether_asyncio"):
        return []
    bad: list[str] = []
    for rec in mod.imports:
        if _root(rec.module) != "tether":
            continue
        private_name = rec.module == "tether" and rec.name is not None and rec.name[0] == "_"
        if rec.module not in NAMESPACE_MODULES or private_name:
            bad.append(
                f"{mod.where(rec)}  -> tether_asyncio may only import "
                f"{', '.join(sorted(NAMESPACE_MODULES))}; never tether._*"
            )
    return bad


RULES: dict[str, Rule] = {
    "no_foreign_event_loops": rule_no_foreign_event_loops,
    "leaves_stdlib_only": rule_leaves_stdlib_only,
    "core_imports": rule_core_imports,
    "high_level_imports": rule_high_level_imports,
    "namespace_reexport_only": rule_namespace_modules_reexport_only,
    "facade_public_api": rule_facade_uses_public_api,
}


# --------------------------------------------------------------------------- tree


def _load_tree() -> list[Module]:
    modules: list[Module] = []
    for top in (TETHER_DIR, FACADE_DIR):
        for path in sorted(top.rglob("*.py")):
            relpath = path.relative_to(ROOT).as_posix()
            modules.append(parse_module(relpath, path.read_text(encoding="utf-8")))
    return modules


MODULES = _load_tree()


def _check_tree(rule: Rule) -> None:
    violations = [msg for mod in MODULES for msg in rule(mod)]
    assert not violations, (
        f"{len(violations)} layering violation(s) ({rule.__doc__}):\n  " + "\n  ".join(violations)
    )


def test_tree_is_not_empty() -> None:
    names = {mod.modname for mod in MODULES}
    assert "tether" in names, f"src/tether/__init__.py not found under {ROOT}"
    assert "tether_asyncio" in names, f"compat/tether_asyncio/__init__.py not found under {ROOT}"


def test_relative_imports_resolve() -> None:
    errors = [err for mod in MODULES for err in mod.errors]
    assert not errors, "\n".join(errors)


def test_no_foreign_event_loops_in_tether() -> None:
    _check_tree(rule_no_foreign_event_loops)


def test_leaves_import_only_stdlib() -> None:
    _check_tree(rule_leaves_stdlib_only)


def test_core_imports_only_core_and_leaves() -> None:
    _check_tree(rule_core_imports)


def test_high_level_modules_import_core_not_namespaces() -> None:
    _check_tree(rule_high_level_imports)


def test_namespace_modules_only_reexport() -> None:
    _check_tree(rule_namespace_modules_reexport_only)


def test_facade_imports_only_public_tether() -> None:
    _check_tree(rule_facade_uses_public_api)


# --------------------------------------------------------------------------- self-tests
# The checker must flag known-bad snippets (so an empty or unparsed tree cannot make
# the tests above pass vacuously) and accept known-good ones.

BAD_SNIPPETS: list[tuple[str, str, str]] = [
    ("no_foreign_event_loops", "src/tether/_core/_run.py", "import asyncio\n"),
    ("no_foreign_event_loops", "src/tether/_timeouts.py", "from asyncio.events import x\n"),
    ("no_foreign_event_loops", "src/tether/__init__.py", "import trio.lowlevel\n"),
    (
        "no_foreign_event_loops",
        "src/tether/_core/_run.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import asyncio\n",
    ),
    ("no_foreign_event_loops", "src/tether/_x.py", "def f():\n    import uvloop\n"),
    (
        "no_foreign_event_loops",
        "src/tether/_x.py",
        "import importlib\nimportlib.import_module('anyio')\n",
    ),
    ("no_foreign_event_loops", "src/tether/_x.py", "from tether_asyncio import run\n"),
    ("leaves_stdlib_only", "src/tether/_util.py", "import attrs\n"),
    ("leaves_stdlib_only", "src/tether/_util.py", "from typing_extensions import Self\n"),
    ("leaves_stdlib_only", "src/tether/_deprecate.py", "from outcome import Value\n"),
    ("leaves_stdlib_only", "src/tether/_deprecate.py", "from . import _util\n"),
    ("core_imports", "src/tether/_core/_run.py", "import tether._core._task\n"),
    ("core_imports", "src/tether/_core/_run.py", "from tether._core import _task\n"),
    ("core_imports", "src/tether/_core/_run.py", "from .._timeouts import move_on_after\n"),
    ("core_imports", "src/tether/_core/_run.py", "from .. import lowlevel\n"),
    ("core_imports", "src/tether/_core/_run.py", "from ..lowlevel import checkpoint\n"),
    ("core_imports", "src/tether/_core/__init__.py", "from .. import _sync\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "import tether\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "from tether._core import x\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "from . import lowlevel\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "from .abc import Instrument\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "from .testing._clock import C\n"),
    ("high_level_imports", "src/tether/_timeouts.py", "from . import open_nursery\n"),
    ("namespace_reexport_only", "src/tether/__init__.py", "def f():\n    pass\n"),
    ("namespace_reexport_only", "src/tether/lowlevel.py", "class C:\n    pass\n"),
    ("namespace_reexport_only", "src/tether/testing/__init__.py", "for x in y:\n    pass\n"),
    ("namespace_reexport_only", "src/tether/abc.py", "if DEBUG:\n    import x\n"),
    (
        "namespace_reexport_only",
        "src/tether/socket.py",
        "import sys\nif sys.platform == 'win32':\n    def f(): pass\n",
    ),
    ("facade_public_api", "compat/tether_asyncio/_tasks.py", "from tether._core import x\n"),
    ("facade_public_api", "compat/tether_asyncio/_tasks.py", "import tether._core._run\n"),
    ("facade_public_api", "compat/tether_asyncio/__init__.py", "from tether import _core\n"),
    ("facade_public_api", "compat/tether_asyncio/_tasks.py", "from tether.lowlevel._x import y\n"),
]

GOOD_SNIPPETS: list[tuple[str, str, str]] = [
    ("no_foreign_event_loops", "compat/tether_asyncio/__init__.py", "import asyncio\n"),
    ("no_foreign_event_loops", "src/tether/_x.py", "import asynchat_like_name\nimport trio_x\n"),
    (
        "leaves_stdlib_only",
        "src/tether/_util.py",
        "from __future__ import annotations\nimport sys, typing\nfrom collections import abc\n",
    ),
    ("leaves_stdlib_only", "src/tether/_run.py", "import attrs\n"),
    (
        "core_imports",
        "src/tether/_core/_run.py",
        "import attrs\nfrom . import _task\nfrom ._task import Task\n"
        "from .._util import final\nfrom .. import _deprecate\n",
    ),
    ("core_imports", "src/tether/_core/__init__.py", "from ._run import run\n"),
    (
        "core_imports",
        "src/tether/_core/_run.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .._timeouts import X\n"
        "    import tether\n",
    ),
    (
        "high_level_imports",
        "src/tether/_timeouts.py",
        "import attrs\nfrom . import _core\nfrom ._core import current_time\n"
        "from ._util import final\nfrom ._sync import Event\n",
    ),
    (
        "namespace_reexport_only",
        "src/tether/__init__.py",
        '"""Doc."""\nfrom typing import TYPE_CHECKING\nfrom ._core import run as run\n'
        "from ._util import fixup_module_metadata\n__all__ = ['run']\nrun2 = run\n"
        "x: int = 1\nfixup_module_metadata(__name__, globals())\n"
        "if TYPE_CHECKING:\n    from ._x import Y\nimport sys\n"
        "if sys.platform == 'win32':\n    from ._w import Z\nelse:\n    Z = None\ndel sys\n",
    ),
    ("namespace_reexport_only", "src/tether/_run.py", "def f():\n    pass\n"),
    (
        "facade_public_api",
        "compat/tether_asyncio/_tasks.py",
        "import tether\nimport tether.lowlevel\nfrom tether import lowlevel, open_nursery\n"
        "from tether.abc import Instrument\nfrom tether.testing import MockClock\n"
        "from . import _events\nimport asyncio\n",
    ),
]


@pytest.mark.parametrize(("rule", "relpath", "source"), BAD_SNIPPETS)
def test_checker_flags_bad_snippet(rule: str, relpath: str, source: str) -> None:
    violations = RULES[rule](parse_module(relpath, source))
    assert violations, f"rule {rule} did not flag {relpath}:\n{source}"
    assert all(relpath in v for v in violations), violations


@pytest.mark.parametrize(("rule", "relpath", "source"), GOOD_SNIPPETS)
def test_checker_accepts_good_snippet(rule: str, relpath: str, source: str) -> None:
    assert RULES[rule](parse_module(relpath, source)) == []


def test_checker_flags_escaping_relative_import() -> None:
    mod = parse_module("src/tether/_timeouts.py", "from ... import x\n")
    assert mod.errors, "relative import beyond the top-level package not reported"


def test_module_name() -> None:
    assert module_name("src/tether/__init__.py") == "tether"
    assert module_name("src/tether/_core/_run.py") == "tether._core._run"
    assert module_name("compat/tether_asyncio/events.py") == "tether_asyncio.events"
