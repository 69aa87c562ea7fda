"""Issue 10, part 1: the skins (`cli/`, `web/`) parse, call `provenance.Archive`, render.

No skin reaches past the front door: none imports the ORM, the store, the
schema or the models, nor a private name of the library; and the command
modules import one another in no cycle.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKINS = {"cli": "provenance_cli", "web": "provenance_web"}

FORBIDDEN = ("sqlmodel", "sqlalchemy", "provenance.store", "provenance.schema", "provenance.models")
"""Modules (and their submodules) no skin imports: SQL and its rows stay in the library."""


def _skin_files() -> list[Path]:
    return sorted(p for folder in SKINS for p in (ROOT / folder).glob("*.py"))


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module and every ``module.name`` a file imports, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _offences(path: Path) -> list[str]:
    """``file:line imports NAME`` for each import a skin may not make."""
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    out: dict[int, str] = {}  # one per import statement
    for line, name in _imports(path):
        parts = name.split(".")
        if any(name == m or name.startswith(m + ".") for m in FORBIDDEN):
            out.setdefault(line, f"{where}:{line} imports {name}")
        elif parts[0] == "provenance" and any(p.startswith("_") for p in parts[1:]):
            out.setdefault(line, f"{where}:{line} imports the private {name}")
    return list(out.values())


def test_the_scan_sees_every_skin_module():
    names = {p.name for p in _skin_files()}
    assert {"app.py", "group.py", "audit.py", "api.py", "pages.py", "gateway.py"} <= names


@pytest.mark.parametrize("path", _skin_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_skin_imports_sql_the_store_or_a_private_library_name(path):
    assert _offences(path) == []


@pytest.mark.parametrize("path", _skin_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_skin_opens_a_session_of_its_own(path):
    """Sessions and transactions are the archive's: a skin calls a method that opens one."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    used = [
        f"{path.name}:{node.lineno} .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("reading", "_session", "_engines")
    ]
    assert used == []


def test_the_scan_would_catch_what_it_forbids(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import sqlalchemy.orm\n"
        "from sqlmodel import Session\n"
        "from provenance import store\n"
        "from provenance.models import Version\n"
        "from provenance.front import _Engines\n"
        "from provenance.archive import register\n",
        encoding="utf-8",
    )
    assert len(_offences(bad)) == 5  # the last import is public, and allowed


def _local_graph(folder: str) -> dict[str, set[str]]:
    """Which of the skin's own modules each of its modules imports."""
    package = SKINS[folder]
    modules = {p.stem for p in (ROOT / folder).glob("*.py")}
    graph: dict[str, set[str]] = {}
    for stem in modules:
        tree = ast.parse((ROOT / folder / f"{stem}.py").read_text(encoding="utf-8"))
        uses: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # from . import x / from .x import y
                    targets = [module] if module else [a.name for a in node.names]
                elif module == package:
                    targets = [a.name for a in node.names]
                elif module.startswith(package + "."):
                    targets = [module.split(".")[1]]
                else:
                    targets = []
                uses |= {t for t in targets if t in modules and t != stem}
        graph[stem] = uses
    return graph


@pytest.mark.parametrize("folder", sorted(SKINS))
def test_the_skin_modules_import_one_another_in_no_cycle(folder):
    graph = _local_graph(folder)
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                pytest.fail(f"import cycle: {' -> '.join([*trail, node, nxt])}")
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [])


@pytest.mark.parametrize(
    "first", ["provenance_cli.app", "provenance_cli.audit", "provenance_cli.identify", "provenance_cli.service"]
)
def test_the_cli_imports_cleanly_in_a_fresh_interpreter_whichever_module_comes_first(first):
    code = (
        f"import {first}\n"
        "from provenance_cli.app import app\n"
        "import typer\n"
        "names = set(typer.main.get_command(app).commands)\n"
        "assert {'init', 'demo', 'verify', 'identify', 'serve', 'token'} <= names, names\n"
        "import sys\n"
        "assert 'provenance_web' not in sys.modules, 'the web skin loads only for serve'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


ASKS_AT_MOST = 3
"""Archive methods one skin function may call, besides `Archive.resolve`: a page or a
command that needs more is assembling a report, which the library should return whole."""


def _asks(source: str) -> dict[str, set[str]]:
    """``function (line) -> the Archive methods it calls`` in ``source``, for calls on a
    name holding an archive (``archive``, ``a``...) or on ``archive_of(...)``."""
    from provenance import Archive

    methods = {n for n in dir(Archive) if not n.startswith("_")}

    def on_archive(node: ast.expr) -> bool:
        if isinstance(node, ast.Name):
            return "archive" in node.id.lower()
        return isinstance(node, ast.Call) and getattr(node.func, "id", "") == "archive_of"

    found = {}
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            found[f"{fn.name} (line {fn.lineno})"] = {
                node.func.attr
                for node in ast.walk(fn)
                if isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in methods
                and on_archive(node.func.value)
            }
    return found


@pytest.mark.parametrize("path", _skin_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_skin_function_stitches_a_report_from_many_archive_calls(path):
    asks = _asks(path.read_text(encoding="utf-8"))
    assert {f: sorted(m) for f, m in asks.items() if len(m - {"resolve"}) > ASKS_AT_MOST} == {}


def test_the_stitching_scan_would_catch_the_old_version_page():
    old = (
        "def version(request, ref):\n"
        "    archive = archive_of(request)\n"
        "    vid = archive.resolve(ref, files=False)\n"
        "    info = archive.show(str(vid))\n"
        "    text = archive.texts([vid])[vid]\n"
        "    children = archive.names(list(info.children))\n"
        "    events = archive.events(about=str(vid)).events\n"
        "    proofs_possible = bool(archive.checkpoints())\n"
    )
    (asks,) = _asks(old).values()
    assert len(asks - {"resolve"}) > ASKS_AT_MOST


@pytest.mark.parametrize("path", [ROOT / "cli" / "audit.py"], ids=["cli/audit.py"])
def test_the_key_and_proof_commands_go_through_the_front_door(path):
    """`prov keygen`, `checkpoint` and `verify-proof` call `Archive` (the last two
    without opening an archive), never `provenance.proofs` or the signing module."""
    reached = [name for _, name in _imports(path) if name.startswith(("provenance.proofs", "provenance.checkpoint"))]
    reached += [
        f"from provenance import {alias.name}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module == "provenance"
        for alias in node.names
        if alias.name in ("proofs", "checkpoint")
    ]
    assert reached == []


ONE_SNAPSHOT_EXCEPT = {
    "register": "a registration resolves its parents, prepares in a read snapshot, then writes",
}
"""The API routes that still make more than one `Archive` call, and why."""


def _archive_uses(fn: ast.FunctionDef) -> list[str]:
    """Every `Archive` call a function makes: a method called on a name holding an
    archive, `_ref` (a resolution), or the archive handed to a helper."""
    from provenance import Archive

    methods = {n for n in dir(Archive) if not n.startswith("_")}
    holds = lambda node: isinstance(node, ast.Name) and "archive" in node.id.lower()  # noqa: E731
    uses = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in methods and holds(func.value):
            uses.append(f"line {node.lineno} .{func.attr}")
        elif isinstance(func, ast.Name) and func.id == "_ref":
            uses.append(f"line {node.lineno} _ref")
        elif any(holds(arg) for arg in node.args):
            uses.append(f"line {node.lineno} {ast.unparse(func)}(archive)")
    return uses


def _routes(source: str) -> dict[str, ast.FunctionDef]:
    def routed(fn: ast.FunctionDef) -> bool:
        return any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and ast.unparse(d.func.value) == "router"
            for d in fn.decorator_list
        )

    return {fn.name: fn for fn in ast.walk(ast.parse(source)) if isinstance(fn, ast.FunctionDef) and routed(fn)}


def test_every_api_route_answers_from_one_archive_call_in_one_snapshot():
    """A route that resolves a REF in one call and reads in another answers from two
    snapshots (a version registered in between makes them disagree): each route makes
    one `Archive` call, which resolves and reads in its own snapshot."""
    routes = _routes((ROOT / "web" / "api.py").read_text(encoding="utf-8"))
    assert len(routes) > 25
    many = {name: _archive_uses(fn) for name, fn in routes.items() if len(_archive_uses(fn)) > 1}
    assert set(many) == set(ONE_SNAPSHOT_EXCEPT), many


def test_the_snapshot_scan_would_catch_a_route_that_resolves_then_reads():
    old = (
        "@router.get('/trace')\n"
        "def trace(a, b, archive):\n"
        "    report = archive.trace(_ref(archive, a, 'a'), _ref(archive, b, 'b'))\n"
        "    return _report(report)\n"
    )
    (fn,) = _routes(old).values()
    assert len(_archive_uses(fn)) == 3
