"""No link of the built book points to an invented address.

Usage (``check_pages.py`` runs the same check)::

    .venv/bin/python tests/browser/check_links.py _build/html [--repository-url URL]

The repository address is one setting, ``BOOK_REPOSITORY_URL``, read at build time
(``tools/book_repository.py``). A link in the built HTML (``href``/``src`` of every page, and
the text of the downloadable notebooks in ``_sources/``) is reported as invented if

* it contains ``github.com/implicit-bias-book`` (the address the book once named, which no one
  created) and is not under the configured repository; or
* it points to a code host or notebook launcher (GitHub, GitLab, Binder, Colab) and is
  neither under the configured repository (the repository, issue and launch buttons) nor an
  address of the bibliography (``references.bib``).

Without ``--repository-url`` (and with ``BOOK_REPOSITORY_URL`` unset) no link to a code host
or launcher is allowed at all, except bibliographic ones. Exit status 1 if any is found.
"""

from __future__ import annotations

import argparse
import html.parser
import os
import pathlib
import re
import sys
import urllib.parse

ROOT = pathlib.Path(__file__).resolve().parents[2]
INVENTED = "github.com/implicit-bias-book"
HOSTS = ("github.com", "gitlab.com", "mybinder.org", "colab.research.google.com",
         "githubusercontent.com")
_URL = re.compile(r"https?://[^\s\"'<>)\]}]+")


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("href", "src", "action", "data-url") and value:
                self.urls.append(value)


def bibliography_urls(bib: pathlib.Path = ROOT / "references.bib") -> set[str]:
    """Every address written in the bibliography (real by the bibliography's own checks)."""
    if not bib.is_file():
        return set()
    return {u.rstrip(".,") for u in _URL.findall(bib.read_text(encoding="utf-8"))}


def is_invented(url: str, repository_url: str | None, allowed: set[str]) -> bool:
    """Whether ``url`` points to an address the book has no reason to believe exists."""
    if not url.startswith(("http://", "https://")):
        return False
    if url in allowed or url.rstrip("/") in allowed:
        return False
    if repository_url:
        repo = urllib.parse.urlsplit(repository_url)
        owner_repo = repo.path.strip("/")
        parts = urllib.parse.urlsplit(url)
        if url.startswith(repository_url.rstrip("/")):
            return False
        # launch buttons: mybinder.org/v2/gh/<owner>/<repo>/..., colab.../github/<owner>/<repo>/...
        if parts.hostname in ("mybinder.org", "colab.research.google.com") and owner_repo and \
                f"/{owner_repo}/" in parts.path + "/":
            return False
    if INVENTED in url:
        return True
    host = urllib.parse.urlsplit(url).hostname or ""
    return any(host == h or host.endswith("." + h) for h in HOSTS)


def page_urls(path: pathlib.Path) -> list[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        parser = _Links()
        parser.feed(text)
        return parser.urls
    return _URL.findall(text)


def invented_links(root: pathlib.Path, repository_url: str | None = None):
    """``[(page, url), ...]`` for every link of the built book to an invented address."""
    root = pathlib.Path(root)
    allowed = bibliography_urls()
    found = []
    files = [p for p in sorted(root.rglob("*.html")) if "_static" not in p.parts]
    files += sorted((root / "_sources").rglob("*.ipynb")) if (root / "_sources").is_dir() else []
    for path in files:
        for url in sorted(set(page_urls(path))):
            if is_invented(url, repository_url, allowed):
                found.append((path.relative_to(root).as_posix(), url))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=pathlib.Path)
    parser.add_argument("--repository-url", default=os.environ.get("BOOK_REPOSITORY_URL", ""))
    args = parser.parse_args(argv)
    if not (args.html / "index.html").is_file():
        print(f"FAILED: {args.html}/index.html does not exist; build the book first",
              file=sys.stderr)
        return 1
    found = invented_links(args.html, args.repository_url.strip().rstrip("/") or None)
    for page, url in found:
        print(f"{page}: link to an invented address: {url}", file=sys.stderr)
    if found:
        print(f"FAILED: {len(found)} link(s) to invented addresses", file=sys.stderr)
        return 1
    print("no link to an invented address")
    return 0


if __name__ == "__main__":
    sys.exit(main())
