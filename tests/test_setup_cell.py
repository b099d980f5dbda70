"""The standard setup cell (tools/setup_cell.py): every chapter has it, first among its code
cells; it is a no-op where the library is installed, and on Colab it installs the library from
the configured repository (never from an invented address)."""

import json
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import setup_cell  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
FIXTURE = ROOT / "tests" / "fixtures" / "student_fixture.ipynb"


def src(cell):
    return "".join(cell["source"])


def run_cell(source, prelude=""):
    """Run the cell's source in a fresh interpreter of this environment, after ``prelude``."""
    code = prelude + "\nexec(compile(" + repr(source) + ", 'setup', 'exec'))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT / "chapters", timeout=120)


COLAB_WITHOUT_LIBRARY = textwrap.dedent("""
    import importlib.util, subprocess, sys, types
    sys.modules["google.colab"] = types.ModuleType("google.colab")
    _find = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name == "implicit_bias" else _find(name, *a)
    subprocess.run = lambda cmd, check: print("PIP", " ".join(cmd))
""")


def test_insertion_is_idempotent_and_first_code_cell():
    nb = json.loads(FIXTURE.read_text())
    source = setup_cell.cell_source(None)
    once = setup_cell.with_setup_cell(nb, source)
    twice = setup_cell.with_setup_cell(once, source)
    assert setup_cell.dumps(once) == setup_cell.dumps(twice)
    code = [c for c in once["cells"] if c["cell_type"] == "code"]
    assert setup_cell.is_setup_cell(code[0])
    assert sum(setup_cell.is_setup_cell(c) for c in once["cells"]) == 1
    assert once["cells"][0]["cell_type"] == "markdown"  # the title stays first


def test_cell_is_a_silent_no_op_in_the_books_environment():
    result = run_cell(setup_cell.cell_source(None))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and "Error" not in result.stderr


def test_on_colab_without_repository_it_asks_for_it():
    result = run_cell(setup_cell.cell_source(None), COLAB_WITHOUT_LIBRARY)
    assert result.returncode != 0 and "set REPOSITORY" in result.stderr


def test_on_colab_it_installs_from_the_configured_repository():
    url = "https://example.org/some/repo"
    result = run_cell(setup_cell.cell_source(url), COLAB_WITHOUT_LIBRARY)
    assert result.returncode == 0, result.stderr
    assert f"implicit-bias @ git+{url}" in result.stdout


def test_outside_colab_without_library_it_explains():
    prelude = COLAB_WITHOUT_LIBRARY.replace(
        'sys.modules["google.colab"] = types.ModuleType("google.colab")', "")
    result = run_cell(setup_cell.cell_source(None), prelude)
    assert result.returncode != 0 and "pip install -e" in result.stderr


def test_template_names_no_address():
    assert not re.search(r"https?://", setup_cell.cell_source(None))


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_the_setup_cell(nb_path):
    nb = json.loads(nb_path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    hint = f"run `.venv/bin/python tools/setup_cell.py chapters/*.ipynb` ({nb_path.name})"
    assert code and setup_cell.is_setup_cell(code[0]), f"no setup cell first: {hint}"
    assert sum(setup_cell.is_setup_cell(c) for c in nb["cells"]) == 1, hint
    m = re.search(r"^REPOSITORY = (.+)$", src(code[0]), flags=re.M)
    assert m, hint
    value = m.group(1)
    url = None if value.startswith("os.environ") else json.loads(value)
    assert src(code[0]) == setup_cell.cell_source(url), f"stale setup cell: {hint}"
    assert "remove-cell" in code[0]["metadata"]["tags"]
