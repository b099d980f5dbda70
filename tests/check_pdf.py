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
from book_toc import toc_entries  # noqa: E402

MIN_PAGES_PER_CHAPTER = 8


def run(*cmd) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def norm(text: str) -> str:
    """Case-folded, hyphenation and line breaks removed, one space between words."""
    text = re.sub(r"-\n", "", text)
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

    docs = [d for d in toc_entries() if d != "intro"]
    chapters = [d for d in docs if d.startswith("chapters/")]
    if n_pages < MIN_PAGES_PER_CHAPTER * len(chapters):
        problems.append(f"only {n_pages} pages for {len(chapters)} chapters")

    # where the body starts: the page after the last table-of-contents page
    toc_pages = [i for i, p in enumerate(pages_norm[:20]) if p.startswith("contents")
                 or " contents " in p[:40]]
    body_start = (max(toc_pages) + 1) if toc_pages else 0
    # the table of contents may run over several pages: skip pages whose text is mostly dots
    while body_start < len(pages) and pages[body_start].count(". .") > 10:
        body_start += 1

    # pages of each image (pdfimages -list: page num type width height ...)
    image_pages = [int(line.split()[0]) for line in
                   run("pdfimages", "-list", str(args.pdf)).splitlines()[2:] if line.strip()]

    starts = {}
    for doc in docs:
        title = page_title(doc)
        if title is None:
            problems.append(f"{doc}: no '#' title in the source")
            continue
        key = norm(title)
        found = [i for i in range(body_start, len(pages_norm)) if key in pages_norm[i]]
        if not found:
            problems.append(f"title missing from the PDF: {title!r} ({doc})")
        else:
            starts[doc] = found[0]
    ordered = sorted(starts.items(), key=lambda kv: kv[1])
    per_chapter = {}
    for k, (doc, start) in enumerate(ordered):
        end = ordered[k + 1][1] if k + 1 < len(ordered) else len(pages)
        per_chapter[doc] = (start + 1, end, sum(start + 1 <= p <= end for p in image_pages))
    for doc in chapters:
        if doc in per_chapter and plots(doc) and per_chapter[doc][2] == 0:
            problems.append(f"{doc}: the chapter plots, but its pages have no image")

    body = " ".join(pages_norm[body_start:])
    counts = {what: len(set(re.findall(pattern, body))) for what, pattern in [
        ("numbered theorems", r"theorem \d+\.\d+"),
        ("numbered propositions", r"proposition \d+\.\d+"),
        ("numbered exercises", r"exercise \d+\.\d+"),
        ("numbered figures", r"fig(?:\.|ure) \d+\.\d+"),
    ]}
    for what in ("numbered theorems", "numbered exercises", "numbered figures"):
        if counts[what] == 0:
            problems.append(f"no {what} in the PDF")
    bib_at = body.rfind("bibliography")
    surnames = bib_surnames()
    listed = [s for s in surnames if bib_at >= 0 and s in body[bib_at:]]
    if bib_at < 0 or len(listed) < min(5, len(surnames)):
        problems.append(f"bibliography missing or empty ({len(listed)} of {len(surnames)} "
                        "first authors of references.bib found after 'Bibliography')")

    print(f"{args.pdf}: {n_pages} pages, {len(image_pages)} images, body from page "
          f"{body_start + 1}")
    for doc, (a, b, n) in per_chapter.items():
        print(f"  {doc:<40} pages {a:4d}-{b:4d}  {n:3d} images")
    print("  " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; bibliography: {len(listed)} of {len(surnames)} first authors found")
    if problems:
        print(f"PDF CHECK FAILED: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("PDF CHECK PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
