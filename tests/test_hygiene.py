"""Hygiene of the book: notebooks, table of contents, environment files, package layout."""

import json
import pathlib
import re
import subprocess
import tomllib

import pytest
import yaml
from book_toc import toc_entries

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").glob("**/*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "chapters/ holds no notebooks"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_in_toc(nb):
    stem = nb.relative_to(ROOT).with_suffix("").as_posix()
    assert stem in toc_entries(), f"{stem} is not listed in _toc.yml"


def test_toc_entries_exist():
    for entry in toc_entries():
        stem = ROOT / entry
        candidates = [stem, stem.with_suffix(".md"), stem.with_suffix(".ipynb"),
                      pathlib.Path(str(stem) + ".md"), pathlib.Path(str(stem) + ".ipynb")]
        assert any(c.is_file() for c in candidates), f"toc entry {entry!r} has no file"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_stored_clean(nb):
    data = json.loads(nb.read_text())
    assert data["metadata"]["kernelspec"]["name"] == "python3"
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs"), f"{nb.name}: stored with outputs"
            assert cell.get("execution_count") is None, f"{nb.name}: stored execution counts"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_does_not_edit_sys_path(nb):
    data = json.loads(nb.read_text())
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            assert "sys.path" not in src, f"{nb.name} edits sys.path"
            assert "PYTHONPATH" not in src


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_structure(nb):
    """One '#' title, at least one hidden assert cell, and the library is imported."""
    data = json.loads(nb.read_text())
    md = "\n".join("".join(c["source"]) for c in data["cells"] if c["cell_type"] == "markdown")
    titles = re.findall(r"^# ", md, flags=re.M)
    assert len(titles) == 1, f"{nb.name}: expected exactly one '#' title, found {len(titles)}"
    code = [c for c in data["cells"] if c["cell_type"] == "code"]
    hidden_asserts = [c for c in code if "remove-cell" in c.get("metadata", {}).get("tags", [])
                      and "assert" in "".join(c["source"])]
    assert hidden_asserts, f"{nb.name}: no hidden assert cell (tag remove-cell)"
    assert any("implicit_bias" in "".join(c["source"]) for c in code)


def test_environment_yml_only_wraps_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    names = [d for d in deps if isinstance(d, str)]
    assert sorted(re.split(r"[=<> ]", n)[0] for n in names) == ["pip", "python"]
    pips = [d["pip"] for d in deps if isinstance(d, dict)]
    assert pips == [["-c requirements.lock", "-e .[book,test]"]]


def _lock_pins():
    """The exact versions in requirements.lock that apply to this interpreter."""
    from packaging.markers import Marker

    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        spec, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, _, version = spec.strip().partition("==")
        pins[re.sub(r"[-_.]+", "-", name).lower()] = version.strip()
    return pins


def test_venv_equals_the_lock():
    # `make venv` installs requirements.lock with `uv pip sync`; every pinned package must be
    # installed at exactly its locked version (the library itself is the only extra).
    from importlib.metadata import PackageNotFoundError, version

    pins = _lock_pins()
    assert len(pins) > 50
    wrong = []
    for name, pinned in pins.items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            wrong.append(f"{name}: not installed (lock {pinned})")
            continue
        if installed != pinned:
            wrong.append(f"{name}: installed {installed}, lock {pinned}")
    assert not wrong, "the environment differs from requirements.lock (run make venv):\n" + \
        "\n".join(wrong)


def test_pyproject_pins_book_toolchain():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    book = meta["project"]["optional-dependencies"]["book"]
    assert "jupyter-book==1.0.4.post1" in book
    assert any(d.startswith("sphinx-proof==") for d in book)
    test = meta["project"]["optional-dependencies"]["test"]
    assert any(d.startswith("nbval") for d in test)
    runtime = " ".join(meta["project"]["dependencies"])
    for pkg in ("numpy", "scipy", "matplotlib", "cvxpy", "mpmath", "joblib", "tqdm"):
        assert pkg in runtime


def test_lib_is_tracked_and_not_ignored():
    ignored = subprocess.run(["git", "check-ignore", "-q", "lib/implicit_bias/__init__.py"],
                             cwd=ROOT, capture_output=True)
    assert ignored.returncode == 1, "lib/ is gitignored"


def test_package_imported_from_lib():
    import implicit_bias

    assert pathlib.Path(implicit_bias.__file__).resolve().is_relative_to(ROOT / "lib")


def test_no_mplbackend_override_for_kernels():
    for name in ("Makefile", ".ci/run", "_config.yml"):
        assert "MPLBACKEND" not in (ROOT / name).read_text()
