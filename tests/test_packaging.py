"""What a wheel carries is what the tree holds.

The tests run against an editable install, which reads the checkout itself:
a package or data file that pyproject.toml leaves out is missing only from a
real install (`pip install .`, a wheel), where `prov import DIR` failed for
want of `provenance.sources`. These hold the configuration to the tree.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _folder(package: str) -> Path:
    """Where ``package`` lives, by `package-dir` (the longest mapped prefix)."""
    mapped = CONFIG["package-dir"]
    parts = package.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in mapped:
            return ROOT / mapped[prefix] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def _shipped_files(package: str) -> set[Path]:
    folder = _folder(package)
    files = {p for p in folder.glob("*.py")}
    for pattern in CONFIG.get("package-data", {}).get(package, []):
        files |= {p for p in folder.iterdir() if p.is_file() and fnmatch.fnmatch(p.name, pattern)}
    return files


def test_every_folder_of_python_under_a_top_level_package_is_a_listed_package():
    listed = set(CONFIG["packages"])
    for top in ("provenance", "provenance_cli", "provenance_db", "provenance_seeds", "provenance_web"):
        base = _folder(top)
        for init in base.rglob("__init__.py"):
            if "__pycache__" in init.parts:
                continue
            relative = init.parent.relative_to(base)
            name = ".".join((top, *relative.parts))
            assert name in listed, f"{init.parent} holds Python but {name} is not in pyproject's packages"


def test_every_file_a_package_folder_holds_is_shipped():
    for package in CONFIG["packages"]:
        folder = _folder(package)
        assert folder.is_dir(), f"{package}: {folder} does not exist"
        shipped = _shipped_files(package)
        for path in folder.iterdir():
            if path.is_dir() or path.name.startswith(".") or path.suffix == ".pyc":
                continue
            assert path in shipped, f"{path} is in {package} but no wheel would carry it"


def test_the_web_pages_templates_and_style_are_in_the_package_data():
    assert _shipped_files("provenance_web.templates") >= set(_folder("provenance_web.templates").glob("*.html"))
    assert (_folder("provenance_web.static") / "style.css") in _shipped_files("provenance_web.static")
