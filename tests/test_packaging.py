"""The distribution holds every package of the source tree (an editable install would hide one
that pyproject.toml does not list: a wheel would then lack it)."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_source_package_is_listed_in_pyproject():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = set()
    for name, folder in tool["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join((name, *rel.parts)))
    missing = sorted(found - set(tool["packages"]))
    assert not missing, f"packages in the source tree missing from pyproject.toml: {missing}"
