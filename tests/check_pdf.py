"""Open the book's PDF with poppler and check that the whole book is in it.

Usage (``make pdf`` runs exactly this)::

    .venv/bin/python tests/check_pdf.py _build/implicit-l1-bias-book.pdf

Checks, with ``pdfinfo``, ``pdftotext`` and ``pdfimages`` (Debian's poppler-utils):

* the page count is plausible for the book (at least 8 pages per chapter of ``_toc.yml``);
* every page title of ``_toc.yml`` (chapters and back matter, read from the sources' ``#``
  titles) appears in the text after the table of contents;
* figures are there: every chapter whose notebook plots has at least one image on its pages;
* numbered theorems (``Theorem k.n``), exercises (``Exercise k.n``) and figure captions
  (``Fig. k.n``) appear, and the bibliography lists entries of ``references.bib``.

Prints a summary; exit status 1 with the list of problems otherwise.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from book_toc import toc  # noqa: E402

MIN_PAGES_PER_CHAPTER = 8


def run(*cmd) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def norm(text: str) -> str:
    """Case-folded, hyphenation and line breaks removed, one space between words."""
    text = re.sub(r"-\n", "", text)
    text = text.translate(str.maketrans("‘’“”", "''\"\""))  # smart quotes of the typesetting
    return re.sub(r"\s+", " ", text).strip().casefold()


def page_title(doc: str) -> str | None:
    for suffix in (".ipynb", ".md"):
        path = ROOT / (doc + suffix)
        if not path.is_file():
            continue
        if suffix == ".ipynb":
            nb = json.loads(path.read_text(encoding="utf-8"))
            text = "\n".join("".join(c["source"]) for c in nb["cells"]
                             if c["cell_type"] == "markdown")
        else:
            text = path.read_text(encoding="utf-8")
            if text.startswith("---\n"):  # MyST front matter
                text = text.split("\n---\n", 1)[-1]
        in_code = False
        for line in text.splitlines():
            if line.startswith(("```", "~~~")):
                in_code = not in_code
            if not in_code and line.startswith("# "):
                return re.sub(r"[`*]", "", line[2:]).strip()
    return None


def plots(doc: str) -> bool:
    path = ROOT / (doc + ".ipynb")
    if not path.is_file():
        return False
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    return bool(re.search(r"\bplt\.|\bplotting\b|\.plot\(|subplots\(", code))


def bib_surnames(n_max=200):
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    names = []
    for authors in re.findall(r"author\s*=\s*[{\"](.+?)[}\"],?\s*\n", bib):
        first = authors.split(" and ")[0].strip("{} ")
        surname = first.split(",")[0] if "," in first else first.split()[-1]
        surname = re.sub(r"[{}\\'\"`^~]", "", surname).strip()
        if len(surname) >= 3 and surname.isalpha():
            names.append(surname.casefold())
    return sorted(set(names))[:n_max]


def top_level_docs():
    """The documents that become LaTeX chapters: the chapters of every part of _toc.yml."""
    return [c["file"] for part in toc().get("parts", []) for c in part.get("chapters", [])]


def chapter_pages(pdf) -> list[int]:
    """Start page of every numbered chapter, from hyperref's destinations ``chapter.N``."""
    dests = run("pdfinfo", "-dests", str(pdf))
    found = {int(m.group(2)): int(m.group(1))
             for m in re.finditer(r"^\s*(\d+)\s+\[.*\]\s+\"chapter\.(\d+)\"", dests, flags=re.M)}
    return [found[k] for k in sorted(found)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=pathlib.Path)
    args = parser.parse_args(argv)
    problems = []
    if not args.pdf.is_file():
        print(f"PDF CHECK FAILED: {args.pdf} does not exist", file=sys.stderr)
        return 1
    info = run("pdfinfo", str(args.pdf))
    n_pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    pages = run("pdftotext", "-enc", "UTF-8", str(args.pdf), "-").split("\f")
    pages_norm = [norm(p) for p in pages]

    docs = top_level_docs()
    chapters = [d for d in docs if d.startswith("chapters/")]
    if n_pages < MIN_PAGES_PER_CHAPTER * len(chapters):
        problems.append(f"only {n_pages} pages for {len(chapters)} chapters")

    # every top-level document is one LaTeX chapter, in the order of _toc.yml
    starts = chapter_pages(args.pdf)
    if len(starts) != len(docs):
        problems.append(f"{len(starts)} chapters in the PDF, {len(docs)} in _toc.yml")
    # pdfimages -list: page num type ...; a PNG with transparency is an "image" plus an "smask"
    image_pages = [int(line.split()[0]) for line in
                   run("pdfimages", "-list", str(args.pdf)).splitlines()[2:]
                   if len(line.split()) > 2 and line.split()[2] == "image"]
    per_doc = {}
    for k, doc in enumerate(docs[: len(starts)]):
        first = starts[k]
        last = starts[k + 1] - 1 if k + 1 < len(starts) else n_pages
        n_img = sum(first <= p <= last for p in image_pages)
        per_doc[doc] = (first, last, n_img)
        title = page_title(doc)
        if title is None:
            problems.append(f"{doc}: no '#' title in the source")
        elif norm(title) not in pages_norm[first - 1]:
            problems.append(f"title {title!r} ({doc}) is not on the first page of PDF "
                            f"chapter {k + 1} (page {first})")
        if doc in chapters and plots(doc) and n_img == 0:
            problems.append(f"{doc}: the chapter plots, but its pages have no image")

    body = " ".join(pages_norm[starts[0] - 1:] if starts else pages_norm)
    counts = {what: len(set(re.findall(pattern, body))) for what, pattern in [
        ("numbered theorems", r"theorem \d+(?:\.\d+)+"),
        ("numbered propositions", r"proposition \d+(?:\.\d+)+"),
        ("numbered exercises", r"exercise \d+(?:\.\d+)+"),
        ("numbered figures", r"fig(?:\.|ure) \d+(?:\.\d+)+"),
    ]}
    for what in ("numbered theorems", "numbered exercises", "numbered figures"):
        if counts[what] == 0:
            problems.append(f"no {what} in the PDF")
    # the bibliography: the page(s) that start with its heading and list [label] entries
    bib_pages = [i for i, p in enumerate(pages_norm)
                 if p.startswith("bibliography") and "[" in p[:40]]
    bib_text = ""
    if bib_pages:
        i = bib_pages[-1]
        while i < len(pages_norm) and not re.match(r"(proof index|python module index|index)\b",
                                                   pages_norm[i]) or i == bib_pages[-1]:
            bib_text += " " + pages_norm[i]
            i += 1
    surnames = bib_surnames()
    listed = [s for s in surnames if s in bib_text]
    if len(listed) < max(1, len(surnames) // 2):
        problems.append(f"bibliography missing or incomplete ({len(listed)} of {len(surnames)} "
                        "first authors of references.bib found in it)")

    print(f"{args.pdf}: {n_pages} pages, {len(image_pages)} images, {len(starts)} chapters")
    for doc, (a, b, n) in per_doc.items():
        print(f"  {doc:<40} pages {a:4d}-{b:4d}  {n:3d} images")
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; bibliography: {len(listed)} of {len(surnames)} first authors found",
          flush=True)
    if problems:
        print(f"PDF CHECK FAILED: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("PDF CHECK PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
