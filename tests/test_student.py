"""The student edition (``make student``, ``tools/student_edition.py``).

* On a fixture notebook (``tests/fixtures/student_fixture.ipynb``) in the chapters' exercise
  convention: no solution survives, stubs become visible, hidden checks of the solution are
  dropped, outputs are stripped, and every ``exercise-check`` cell FAILS when the student
  notebook is executed (the stub is not an answer).
* On the chapters: every stub is followed by its folded solution and, right after the
  solution, by a visible check cell (so nbval, which runs the instructor's notebooks, runs
  every check against the solution); the student edition has no solution text or solution
  cell; and executed up to its last check, every check fails on the stub.
"""

import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import student_edition as se  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "student_fixture.ipynb"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
# Chapters that have no coding exercise in the stub/check convention (yet). Listed explicitly
# so that a chapter cannot lose its stubs silently; every other chapter must have at least one.
CHAPTERS_WITHOUT_STUBS: set = set()
SOLUTION_MARKERS = ("solution-start", "solution-end", "{solution}")
ACCEPTED_FAILURES = {"AssertionError", "NotImplementedError"}


def load(path):
    return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))


def src(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def solution_cells(nb):
    """The code cells between solution-start and solution-end, and the solution texts."""
    code, text = [], []
    inside = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            kept, after = se.strip_markdown(src(cell), inside)
            if kept.strip() != src(cell).strip():
                text.append(src(cell))
            inside = after
        elif inside:
            code.append(src(cell))
    return code, text


def meaningful_lines(code):
    """Lines of a solution cell specific enough that finding one in the student edition
    means the solution leaked (not blank lines, comments-only lines or bare keywords)."""
    out = []
    for line in code.splitlines():
        s = line.strip()
        if len(s) >= 12 and not s.startswith("#"):
            out.append(s)
    return out


def assert_no_solution(original, student, name):
    text = json.dumps(student)
    for marker in SOLUTION_MARKERS:
        assert marker not in text, f"{name}: '{marker}' left in the student edition"
    student_code = "\n".join(src(c) for c in student["cells"] if c["cell_type"] == "code")
    code, _ = solution_cells(original)
    # lines that also occur outside the solutions (e.g. the same `def f(x):` line in stub and
    # solution, or a loop the chapter's own code has too) prove nothing
    all_code = "\n".join(src(c) for c in original["cells"] if c["cell_type"] == "code")
    for cell in code:
        for line in meaningful_lines(cell):
            if all_code.count(line) > sum(c.count(line) for c in code):
                continue
            assert line not in student_code, f"{name}: solution line leaked: {line!r}"


def execute(nb, cwd, upto_last_check=True):
    """Execute ``nb`` (a dict) in a fresh kernel, errors allowed; return the executed cells."""
    import nbformat
    from nbclient import NotebookClient

    cells = nb["cells"]
    if upto_last_check:
        last = max(i for i, c in enumerate(cells) if se.CHECK_TAG in tags(c))
        cells = cells[: last + 1]
    nb = dict(nb, cells=cells)
    node = nbformat.reads(json.dumps(nb), as_version=4)  # joins list sources into strings
    client = NotebookClient(node, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return node.cells


def errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def assert_checks_fail_on_stubs(executed, name):
    n_checks = 0
    for i, cell in enumerate(executed):
        if cell.cell_type != "code":
            continue
        errs = errors(cell)
        if se.CHECK_TAG in tags(cell):
            n_checks += 1
            assert errs, f"{name}: check cell {i} PASSED on the stub:\n{src(cell)}"
            assert errs[0]["ename"] in ACCEPTED_FAILURES, (
                f"{name}: check cell {i} failed with {errs[0]['ename']} (expected an "
                f"AssertionError with a hint): {errs[0]['evalue']}")
        else:
            assert not errs, (f"{name}: cell {i} raised {errs[0]['ename']}: "
                              f"{errs[0]['evalue']}\n{src(cell)}")
    assert n_checks, f"{name}: no exercise-check cell was executed"


def assert_convention(nb, name):
    """Each stub: hidden, followed by a solution, followed directly by a visible check."""
    cells = nb["cells"]
    n = 0
    for i, cell in enumerate(cells):
        if se.STUB_TAG not in tags(cell):
            continue
        n += 1
        assert cell["cell_type"] == "code" and "remove-cell" in tags(cell), \
            f"{name}: stub cell {i} must be a code cell tagged exercise-stub and remove-cell"
        nxt = cells[i + 1] if i + 1 < len(cells) else None
        assert nxt is not None and nxt["cell_type"] == "markdown" and \
            se._OPEN.match(src(nxt).lstrip("\n")) and \
            se._OPEN.match(src(nxt).lstrip("\n")).group("name") == "solution-start", \
            f"{name}: stub cell {i} is not followed directly by a solution-start"
        inside, j = False, i + 1
        while j < len(cells):
            if cells[j]["cell_type"] == "markdown":
                _, inside = se.strip_markdown(src(cells[j]), inside)
                if not inside:
                    break
            j += 1
        assert j < len(cells), f"{name}: the solution after stub cell {i} never ends"
        check = cells[j + 1] if j + 1 < len(cells) else None
        assert check is not None and se.CHECK_TAG in tags(check), \
            f"{name}: no exercise-check cell right after the solution of stub cell {i}"
        assert not {"remove-cell", "remove-input", "hide-input", "hide-cell"} & set(tags(check)), \
            f"{name}: the check cell after stub cell {i} must be visible"
    return n


# ------------------------------------------------------------------ the fixture
def test_fixture_follows_the_convention():
    assert assert_convention(load(FIXTURE), FIXTURE.name) == 2


def test_fixture_student_edition_has_no_solution():
    original = load(FIXTURE)
    student = se.student_notebook(original)
    assert_no_solution(original, student, FIXTURE.name)
    text = json.dumps(student)
    for marker in ("SOLUTION-TEXT", "SOLUTION-CODE", "OUTPUT-TO-STRIP"):
        assert marker not in text, marker
    for marker in ("KEPT-TEXT-1", "KEPT-TEXT-2", "exercise-start", "ex-fix-proof"):
        assert marker in text, f"{marker} was removed but is not part of a solution"


def test_fixture_stubs_visible_hidden_solution_checks_dropped():
    student = se.student_notebook(load(FIXTURE))
    stubs = [c for c in student["cells"] if se.STUB_TAG in tags(c)]
    assert len(stubs) == 2 and all("remove-cell" not in tags(c) for c in stubs)
    hidden = [src(c) for c in student["cells"] if "remove-cell" in tags(c)]
    assert hidden == [src(load(FIXTURE)["cells"][2])], hidden  # the one not using solutions
    assert all(c["outputs"] == [] and c["execution_count"] is None
               for c in student["cells"] if c["cell_type"] == "code")


def test_fixture_checks_fail_on_stubs_and_pass_on_solutions(tmp_path):
    original = load(FIXTURE)
    assert_checks_fail_on_stubs(execute(se.student_notebook(original), tmp_path, False),
                                FIXTURE.name)
    executed = execute(original, tmp_path, False)  # the instructor's notebook: all pass
    for cell in executed:
        assert not errors(cell), errors(cell)
    outputs = ["".join(o.get("text", "")) for c in executed if se.CHECK_TAG in tags(c)
               for o in c.outputs]
    assert sum(o.startswith("Correct:") for o in outputs) == 2, outputs


@pytest.mark.parametrize("text", [
    "```{solution-start} ex\n```\nno end",
    "```{solution-end}\n```",
    "```{solution-start} ex\nnot closed",
])
def test_unbalanced_solution_is_an_error(text):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": text}]}
    with pytest.raises(se.StudentEditionError):
        se.student_notebook(nb)


def test_make_student_writes_every_chapter(tmp_path):
    written = se.write_student_edition(CHAPTERS, tmp_path)
    assert [p.name for p in written] == [p.name for p in CHAPTERS]


# ------------------------------------------------------------------ the chapters
def test_expected_set_names_real_chapters():
    assert CHAPTERS_WITHOUT_STUBS <= {p.name for p in CHAPTERS}


@pytest.mark.parametrize("nb_path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_student_edition(nb_path):
    original = load(nb_path)
    n_stubs = assert_convention(original, nb_path.name)
    if nb_path.name not in CHAPTERS_WITHOUT_STUBS:
        assert n_stubs >= 1, (f"{nb_path.name}: no coding exercise with a stub and a check "
                              "(see tests/test_student.py: CHAPTERS_WITHOUT_STUBS)")
    student = se.student_notebook(original)
    assert_no_solution(original, student, nb_path.name)
    if n_stubs:
        assert_checks_fail_on_stubs(execute(student, nb_path.parent), nb_path.name)
