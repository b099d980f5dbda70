"""Insert or update the standard setup cell in every chapter notebook (idempotent).

Usage::

    .venv/bin/python tools/setup_cell.py chapters/*.ipynb            # write
    .venv/bin/python tools/setup_cell.py --check chapters/*.ipynb    # exit 1 if any is stale

The setup cell is the first code cell of each chapter (tag ``setup-install``; also
``remove-cell``, so the HTML book does not show it, while Jupyter, JupyterHub and Colab do).
It explains how the chapter gets the book's library ``implicit_bias`` and, on Colab only,
installs it from the book's repository with pip. Where the library is importable (the book's
own environment: ``make venv``, nbval, the book build, Binder, a JupyterHub image built from
the repository) the cell does nothing.

The repository address is never invented: with ``--repository-url`` (default: the environment
variable ``BOOK_REPOSITORY_URL``) the cell names it; without, the cell reads
``BOOK_REPOSITORY_URL`` at run time and, on Colab, asks the reader to fill it in.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys

TAG = "setup-install"
CELL_ID = "setup-install"

TEMPLATE = '''\
# Setup: this chapter uses the book's library `implicit_bias`.
# - In the book's own environment (`make venv` in a clone of the repository, Binder, or a
#   JupyterHub whose image installed the repository with `pip install -e .`) the library is
#   already installed and this cell does nothing.
# - On Colab this cell installs it (and myst-nb, for `glue`) from the book's repository.
# - Anywhere else: clone the repository and run `pip install -e ".[book]"` in its folder.
import importlib.util
import os
import subprocess
import sys

REPOSITORY = {repository}

if importlib.util.find_spec("implicit_bias") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError(
            "implicit_bias is not installed: in a clone of the book's repository run "
            "`pip install -e \\".[book]\\"` (or `make venv`) and use that environment's kernel")
    if not REPOSITORY:
        raise RuntimeError("set REPOSITORY above to the address of the book's git repository")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    f"implicit-bias @ git+{{REPOSITORY}}", "myst-nb"], check=True)
'''


def cell_source(repository_url: str | None) -> str:
    if repository_url:
        repository = json.dumps(repository_url.strip().rstrip("/"))
    else:
        repository = 'os.environ.get("BOOK_REPOSITORY_URL", "")'
    return TEMPLATE.format(repository=repository)


def is_setup_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def with_setup_cell(nb: dict, source: str) -> dict:
    """``nb`` with exactly one setup cell, placed before its first other code cell."""
    cells = [c for c in nb["cells"] if not is_setup_cell(c)]
    cell = {"cell_type": "code", "execution_count": None,
            "metadata": {"tags": [TAG, "remove-cell"]}, "outputs": [],
            "source": source.splitlines(keepends=True)}
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) >= 5:
        cell = {"cell_type": "code", "execution_count": None, "id": CELL_ID,
                "metadata": cell["metadata"], "outputs": [], "source": cell["source"]}
    first_code = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    cells.insert(first_code, cell)
    return dict(nb, cells=cells)


def dumps(nb: dict) -> str:
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=pathlib.Path)
    parser.add_argument("--repository-url", default=os.environ.get("BOOK_REPOSITORY_URL", ""))
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a notebook lacks the current cell")
    args = parser.parse_args(argv)
    source = cell_source(args.repository_url or None)
    stale = []
    for path in args.notebooks:
        text = path.read_text(encoding="utf-8")
        new = dumps(with_setup_cell(json.loads(text), source))
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "lack the current setup cell" if args.check else "updated"
    print(f"{len(stale)} of {len(args.notebooks)} notebooks {verb}"
          + (": " + ", ".join(p.name for p in stale) if stale else ""))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
