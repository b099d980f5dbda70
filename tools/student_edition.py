"""Write the student edition of the chapters: the notebooks without solutions.

Usage (``make student`` runs exactly this)::

    .venv/bin/python tools/student_edition.py chapters/*.ipynb -o _build/student

The chapters follow one convention for exercises (see ``instructors.md``):

1. the exercise (``{exercise}`` or ``{exercise-start}``/``{exercise-end}``), in markdown;
2. a code cell tagged ``exercise-stub`` and ``remove-cell``: the skeleton a student fills in
   (hidden and overridden by the solution in the book);
3. the folded solution: ``{solution-start}`` ... ``{solution-end}``, inside one markdown cell
   or spread over several cells (markdown and code) between the two directives;
4. a visible code cell tagged ``exercise-check`` that prints "Correct: ..." or raises.

For each notebook the student edition

* deletes everything from each ``{solution-start}`` directive to the end of the matching
  ``{solution-end}`` directive, both directives included (text inside a markdown cell, and
  every cell in between), and every non-gated ``{solution}`` directive;
* removes the ``remove-cell`` tag from the stubs, so students see them;
* drops the hidden checks (code cells tagged ``remove-cell``) that use a name bound only in a
  deleted solution cell: in the book they check the instructor's solution, and without it
  they could only fail. Hidden cells that do not use such a name are kept (they check the
  chapter's own computations);
* strips every output and execution count.

It fails (exit status 1) on an unbalanced ``solution-start``/``solution-end``.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import pathlib
import re
import sys

STUB_TAG = "exercise-stub"
CHECK_TAG = "exercise-check"
HIDDEN_TAG = "remove-cell"
_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\s*\{(?P<name>[a-z-]+)\}")


class StudentEditionError(ValueError):
    """The notebook does not follow the exercise convention (e.g. an unclosed solution)."""


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _block_end(lines, start):
    """Index of the line after the directive block that opens at ``lines[start]``."""
    fence = _OPEN.match(lines[start]).group("fence")
    close = re.compile(r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$")
    for i in range(start + 1, len(lines)):
        if close.match(lines[i].rstrip("\n")):
            return i + 1
    raise StudentEditionError(f"directive not closed: {lines[start].strip()!r}")


def strip_markdown(text: str, in_solution: bool):
    """Remove the solution parts of one markdown cell.

    ``in_solution`` says whether the cell starts inside a solution (a ``solution-start`` in an
    earlier cell). Returns ``(kept_text, in_solution_at_end)``.
    """
    lines = text.splitlines(keepends=True)
    out = []
    i = 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        name = m.group("name") if m else None
        if in_solution:
            if name == "solution-end":
                i = _block_end(lines, i)
                in_solution = False
            elif name == "solution-start":
                raise StudentEditionError("solution-start inside another solution")
            else:
                i += 1
            continue
        if name == "solution-start":
            i = _block_end(lines, i)
            in_solution = True
        elif name == "solution":
            i = _block_end(lines, i)
        elif name == "solution-end":
            raise StudentEditionError("solution-end without solution-start")
        else:
            out.append(lines[i])
            i += 1
    kept = "".join(out)
    kept = re.sub(r"\n{3,}", "\n\n", kept).strip("\n")
    return kept, in_solution


def bound_names(code: str) -> set:
    """Names a code cell binds at top level (assignments, defs, imports, loop targets)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:  # IPython magics: fall back to simple assignments
        return set(re.findall(r"^([A-Za-z_]\w*)\s*=", code, flags=re.M))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def used_names(code: str) -> set:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_]\w*", code))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _set_source(cell, text):
    cell["source"] = text.splitlines(keepends=True)


def student_notebook(nb: dict) -> dict:
    """The student edition of a notebook (a new dict; ``nb`` is not changed)."""
    nb = copy.deepcopy(nb)
    kept, removed_code = [], []
    in_solution = False
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = _source(cell)
            text, in_solution_after = strip_markdown(source, in_solution)
            if text.strip():
                if text != source.strip("\n"):  # something was removed
                    _set_source(cell, text)
                kept.append(cell)
            in_solution = in_solution_after
            continue
        if in_solution:
            if cell["cell_type"] == "code":
                removed_code.append(_source(cell))
            continue
        kept.append(cell)
    if in_solution:
        raise StudentEditionError("solution-start without solution-end")

    solution_names = set()
    for code in removed_code:
        solution_names |= bound_names(code)
    # names the student's own cells (stubs and visible code) bind are still solution names
    # for the hidden checks: the stub only pretends to define them
    out = []
    for cell in kept:
        if cell["cell_type"] == "code":
            tags = _tags(cell)
            if HIDDEN_TAG in tags and STUB_TAG not in tags and CHECK_TAG not in tags \
                    and used_names(_source(cell)) & solution_names:
                continue
            if STUB_TAG in tags:
                cell.setdefault("metadata", {})["tags"] = [t for t in tags if t != HIDDEN_TAG]
            cell["outputs"] = []
            cell["execution_count"] = None
            cell.get("metadata", {}).pop("execution", None)
        out.append(cell)
    nb["cells"] = out
    return nb


def write_student_edition(paths, outdir: pathlib.Path) -> list:
    """Write the student edition of each notebook in ``paths`` to ``outdir``."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in map(pathlib.Path, paths):
        nb = json.loads(path.read_text(encoding="utf-8"))
        try:
            student = student_notebook(nb)
        except StudentEditionError as exc:
            raise StudentEditionError(f"{path}: {exc}") from None
        target = outdir / path.name
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("-o", "--outdir", type=pathlib.Path, default=pathlib.Path("_build/student"))
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.notebooks, args.outdir)
    except StudentEditionError as exc:
        print(f"make student FAILED: {exc}", file=sys.stderr)
        return 1
    for path in written:
        nb = json.loads(path.read_text(encoding="utf-8"))
        stubs = sum(STUB_TAG in _tags(c) for c in nb["cells"])
        checks = sum(CHECK_TAG in _tags(c) for c in nb["cells"])
        print(f"  {path}: {len(nb['cells'])} cells, {stubs} stub(s), {checks} check(s)")
    print(f"student edition: {len(written)} notebooks in {args.outdir}/ (no solutions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
