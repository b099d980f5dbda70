"""Open every page of the built book in headless Chromium and check what a reader sees.

Usage (after ``make book``; ``make test-browser`` runs exactly this)::

    .venv/bin/python tests/browser/check_pages.py _build/html

For every HTML page of the book it asserts that

* MathJax finished typesetting (``MathJax.startup.promise`` resolved), left no MathJax
  error node (``mjx-merror``), typeset every ``.math`` element, and that no raw TeX
  (``$$``, ``\\begin``, ``\\(``, ``\\[``) or raw MyST markup is left in the visible text;
* every ``<img>`` loaded with a non-zero natural width;
* every internal link resolves to an existing file, and every ``#anchor`` exists in the
  target page (ids read from the rendered DOM of that page);
* the browser console has no error (``SEVERE`` entries) and the server answered no
  request with an error status;
* chapter pages offer the ``.ipynb`` download and the Binder and Colab launch buttons,
  and exercise solutions are collapsed.

A screenshot of the first screen of each page is saved to ``_build/screenshots/``
(``chapters__<name>.png``), and for each chapter one centred on its first figure
(``chapters__<name>--first-figure.png``).

The network is not needed: the pages are served on 127.0.0.1 from a random free port.
The book loads MathJax 3 from the jsDelivr CDN (``mathjax@3``); if a local copy of the
same MathJax 3 release exists (``--mathjax-dir``, default: the copy fetched by
``install_browser.sh``) the server substitutes it for the CDN address, so the test also
runs offline. Without a local copy the CDN is used, and a page whose MathJax does not
load fails the test.

If Chromium or ChromeDriver cannot be started the script fails (exit status 2) with a
message saying what to install; it never passes silently.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import os
import pathlib
import re
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/"
MATHJAX_LOCAL_PREFIX = "/__mathjax3__/"
DEFAULT_MATHJAX_DIR = (
    pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    / "implicit-bias-book" / "mathjax-3.2.2" / "es5"
)
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
]
# Console entries that are not the book's fault, each with the reason it is harmless.
KNOWN_CONSOLE_NOISE = [
    ("favicon.ico",
     "the browser asks for /favicon.ico by itself; the book defines no favicon"),
    ("Identifier 'THEBE_JS_URL' has already been declared",
     "sphinx-thebe 0.3.1 adds its inline config script after Sphinx 7.4 has collected the "
     "page scripts, so it appears twice; the first declaration is the one used, and the "
     "book does not enable Thebe"),
]
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads", "screenshots"}
# Raw TeX or MyST markup that must never reach the reader's eyes (outside code blocks).
RAW_PATTERNS = [
    (re.compile(r"\$\$"), "raw $$"),
    (re.compile(r"\\begin\{"), "raw \\begin{"),
    (re.compile(r"\\end\{"), "raw \\end{"),
    (re.compile(r"\\\(|\\\)"), "untypeset \\( \\)"),
    (re.compile(r"\\\[|\\\]"), "untypeset \\[ \\]"),
    (re.compile(r"\$\\[A-Za-z]"), "raw $\\macro"),
    (re.compile(r"\$[^$\s][^$]{0,80}?\\[A-Za-z]{2,}"), "raw $...\\macro"),
    (re.compile(r"```\s*\{"), "raw MyST directive"),
    (re.compile(r"\{(prf:ref|numref|eq|doc|ref|cite|cite:t|cite:p|math)\}`"), "raw MyST role"),
]

# --------------------------------------------------------------------------- JavaScript
JS_WAIT_MATHJAX = """
const done = arguments[arguments.length - 1];
const hasMathJax = !!document.querySelector('script[src*="mathjax"], script[src*="tex-mml"]');
if (!hasMathJax) { done({status: 'none'}); return; }
const t0 = Date.now();
(function poll() {
  const mj = window.MathJax;
  if (mj && mj.startup && mj.startup.promise) {
    mj.startup.promise.then(() => done({status: 'ok', version: mj.version || '?'}))
                      .catch(e => done({status: 'error', error: String(e)}));
  } else if (Date.now() - t0 > arguments[0] * 1000) {
    done({status: 'missing'});
  } else { setTimeout(poll, 100); }
})();
"""

JS_WAIT_IMAGES = """
const done = arguments[arguments.length - 1];
const imgs = Array.from(document.images);
imgs.forEach(i => { i.loading = 'eager'; });
Promise.all(imgs.map(i => (i.complete && i.naturalWidth > 0) ? Promise.resolve() :
  new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r);
                     setTimeout(r, 15000); })))
  .then(() => done(imgs.map(i => ({
     src: i.getAttribute('src') || '', alt: i.getAttribute('alt') || '',
     width: i.naturalWidth, figure: !!i.closest('figure, .cell_output, .output')}))));
"""

JS_INSPECT = """
const skip = 'pre, code, script, style, textarea, mjx-container, .MathJax, .highlight';
const texts = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
let n;
while ((n = walker.nextNode())) {
  const p = n.parentElement;
  if (!p || p.closest(skip)) continue;
  const t = n.nodeValue;
  if (t && /[$\\\\`{]/.test(t)) texts.push(t);
}
const merrors = Array.from(document.querySelectorAll('mjx-merror')).map(e => {
  const msg = (e.getAttribute('data-mjx-error') || e.textContent || '').slice(0, 200);
  let tex = '';
  try {  // the TeX source of the formula, from MathJax's list of typeset math items
    for (const item of window.MathJax.startup.document.math) {
      if (item.typesetRoot && item.typesetRoot.contains(e)) { tex = item.math; break; }
    }
  } catch (err) { tex = ''; }
  return msg + (tex ? ' in TeX: ' + tex.slice(0, 200) : '');
});
const mathEls = Array.from(document.querySelectorAll('.math'));
const untypeset = mathEls.filter(e => !e.querySelector('mjx-container'))
  .map(e => e.textContent.slice(0, 120));
const links = Array.from(document.querySelectorAll('a[href]')).map(a => ({
  href: a.href, raw: a.getAttribute('href')}));
const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id)
  .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name')));
const solutions = Array.from(document.querySelectorAll('.solution.dropdown'));
const openSolutions = solutions.filter(s => {
  const body = s.querySelector('section, .admonition-title ~ *');
  return body && body.offsetParent !== null && body.getBoundingClientRect().height > 0;
}).map(s => s.id);
const formulas = document.querySelectorAll('mjx-container').length;
return {texts, merrors, untypeset, links, ids, formulas,
        nsolutions: solutions.length, openSolutions,
        title: document.title};
"""


# --------------------------------------------------------------------------- server
class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static server for the book; substitutes a local MathJax 3 for the CDN if available."""

    mathjax_dir: pathlib.Path | None = None
    errors: list = []

    def log_message(self, format, *args):  # noqa: A002 - silence the request log
        pass

    def log_request(self, code="-", size="-"):
        try:
            status = int(code)
        except (TypeError, ValueError):
            status = 0
        if status >= 400 and not self.path.startswith("/favicon.ico"):
            self.errors.append((status, self.path))

    def do_GET(self):  # noqa: N802 - http.server API
        path = urllib.parse.urlsplit(self.path).path
        if self.mathjax_dir is not None and path.startswith(MATHJAX_LOCAL_PREFIX):
            rel = urllib.parse.unquote(path[len(MATHJAX_LOCAL_PREFIX):])
            target = (self.mathjax_dir / rel).resolve()
            if target.is_file() and target.is_relative_to(self.mathjax_dir.resolve()):
                return self._send_bytes(target.read_bytes(), self.guess_type(str(target)))
            return self.send_error(404)
        if self.mathjax_dir is not None and (path.endswith(".html") or path.endswith("/")):
            local = pathlib.Path(self.translate_path(path))
            if local.is_dir():
                local = local / "index.html"
            if local.is_file():
                text = local.read_text(encoding="utf-8")
                text = text.replace(MATHJAX_CDN, MATHJAX_LOCAL_PREFIX)
                return self._send_bytes(text.encode("utf-8"), "text/html; charset=utf-8")
        return super().do_GET()

    def _send_bytes(self, data, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start_server(root: pathlib.Path, mathjax_dir: pathlib.Path | None):
    handler = type("Handler", (_Handler,), {"mathjax_dir": mathjax_dir, "errors": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler


# --------------------------------------------------------------------------- browser
def find_executable(names, env_var):
    if os.environ.get(env_var):
        return os.environ[env_var]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def start_browser(profile_dir: str):
    """Start headless Chromium through ChromeDriver, or exit 2 with what to install."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        fail_setup("selenium is not installed: run `.venv/bin/pip install -e '.[browser]'`")
    chromium = find_executable(["chromium", "chromium-browser", "google-chrome"], "CHROMIUM")
    driver_path = find_executable(["chromedriver"], "CHROMEDRIVER")
    if not chromium or not driver_path:
        fail_setup("chromium and/or chromedriver not found on PATH: install the Debian packages "
                   "'chromium' and 'chromium-driver' (tests/browser/install_browser.sh does it)")
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download drivers
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile_dir}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except Exception as exc:  # selenium raises several types here
        fail_setup(f"could not start headless Chromium ({chromium}) with ChromeDriver "
                   f"({driver_path}): {type(exc).__name__}: "
                   f"{str(exc).split('Stacktrace:')[0].strip()[:800]}")
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(120)
    return driver


def fail_setup(message):
    print(f"BROWSER TEST FAILED (setup): {message}", file=sys.stderr)
    sys.exit(2)


# --------------------------------------------------------------------------- checks
@dataclass
class PageResult:
    page: str
    formulas: int = 0
    images: int = 0
    figures: int = 0
    links: int = 0
    seconds: float = 0.0
    ignored: int = 0
    problems: list = field(default_factory=list)


class _IdCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value)


def static_ids(path: pathlib.Path):
    collector = _IdCollector()
    collector.feed(path.read_text(encoding="utf-8", errors="replace"))
    return collector.ids


def list_pages(root: pathlib.Path):
    pages = []
    for path in sorted(root.rglob("*.html")):
        rel = path.relative_to(root)
        if rel.parts[0] in SKIP_DIRS or any(p.startswith(".") for p in rel.parts):
            continue
        pages.append(rel.as_posix())
    return pages


def is_chapter(page: str) -> bool:
    return page.startswith("chapters/")


def check_page(driver, base, page, args, ids_by_page, link_targets):
    res = PageResult(page)
    t0 = time.perf_counter()
    driver.get_log("browser")  # drop entries left over from the previous page
    driver.get(base + page)
    mj = driver.execute_async_script(JS_WAIT_MATHJAX, args.mathjax_timeout)
    if mj["status"] == "missing":
        res.problems.append("MathJax did not load (window.MathJax.startup.promise never "
                            "appeared; without a local copy the CDN must be reachable)")
    elif mj["status"] == "error":
        res.problems.append(f"MathJax startup failed: {mj['error']}")
    images = driver.execute_async_script(JS_WAIT_IMAGES)
    info = driver.execute_script(JS_INSPECT)
    res.formulas = info["formulas"]
    for err in info["merrors"]:
        res.problems.append(f"MathJax error node: {err}")
    for tex in info["untypeset"][:5]:
        res.problems.append(f"math element not typeset: {tex!r}")
    for text in info["texts"]:
        for pattern, what in RAW_PATTERNS:
            m = pattern.search(text)
            if m:
                lo = max(0, m.start() - 40)
                res.problems.append(f"{what} in visible text: ...{text[lo:m.end() + 40]!r}...")
                break  # one report per piece of text
    for img in images:
        res.images += 1
        if img["width"] > 0:
            res.figures += img["figure"]
        else:
            res.problems.append(f"image did not load: src={img['src']!r} alt={img['alt']!r}")
    ids_by_page[page] = set(info["ids"])
    for link in info["links"]:
        href = link["href"]
        if not href.startswith(base):
            link_targets.setdefault("external", set()).add(href)
            continue
        res.links += 1
        link_targets.setdefault("internal", []).append((page, link["raw"], href))
    if is_chapter(page) and page.endswith(".html"):
        hrefs = [link["href"] for link in info["links"]]
        stem = page[: -len(".html")]
        if not any(h.startswith(base + "_sources/" + stem) and h.endswith(".ipynb")
                   for h in hrefs):
            res.problems.append("no .ipynb download link (_sources/...ipynb)")
        if not any("mybinder.org/v2/gh/" in h and stem in h for h in hrefs):
            res.problems.append("no Binder launch button")
        if not any("colab.research.google.com/github/" in h and stem in h for h in hrefs):
            res.problems.append("no Colab launch button")
        for sid in info["openSolutions"]:
            res.problems.append(f"solution {sid} is not collapsed")
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        if any(pattern in message for pattern, _ in KNOWN_CONSOLE_NOISE):
            res.ignored += 1
        else:
            res.problems.append(f"console error: {message[:300]}")
    if args.screenshots:
        stem = page[: -len(".html")].replace("/", "__")
        driver.execute_script("window.scrollTo(0, 0);")
        driver.save_screenshot(str(args.screenshots / f"{stem}.png"))
        if is_chapter(page):  # and the chapter's first figure, to see that figures render
            from selenium.webdriver.common.by import By

            figures = driver.find_elements(By.CSS_SELECTOR, "figure, .cell_output img")
            if figures:
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'});",
                                      figures[0])
                driver.save_screenshot(str(args.screenshots / f"{stem}--first-figure.png"))
    res.seconds = time.perf_counter() - t0
    return res


def check_internal_links(root, base, link_targets, ids_by_page):
    """Every internal href resolves to a file; every #anchor exists in its target page."""
    problems = []
    static_cache = {}
    checked = set()
    anchors = 0
    for page, raw, href in link_targets.get("internal", []):
        parts = urllib.parse.urlsplit(href)
        target = urllib.parse.unquote(parts.path)[len(urllib.parse.urlsplit(base).path):]
        if target == "" or target.endswith("/"):
            target += "index.html"
        key = (target, parts.fragment)
        if key in checked:
            continue
        checked.add(key)
        path = root / target
        if not path.is_file():
            problems.append(f"{page}: broken link {raw!r} -> {target} does not exist")
            continue
        if parts.fragment and target.endswith(".html"):
            anchors += 1
            ids = ids_by_page.get(target)
            if ids is None:
                ids = static_cache.setdefault(target, static_ids(path))
            if urllib.parse.unquote(parts.fragment) not in ids:
                problems.append(f"{page}: broken anchor {raw!r} -> no id "
                                f"{parts.fragment!r} in {target}")
    return problems, len(checked), anchors


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=pathlib.Path, help="the built book, e.g. _build/html")
    parser.add_argument("--screenshots", type=pathlib.Path, default=None,
                        help="where to save screenshots (default: <html>/../screenshots)")
    parser.add_argument("--mathjax-dir", type=pathlib.Path, default=None,
                        help=f"local MathJax 3 es5/ directory (default {DEFAULT_MATHJAX_DIR})")
    parser.add_argument("--mathjax-timeout", type=float, default=60.0)
    parser.add_argument("--pages", nargs="*", default=None,
                        help="check only these pages (paths relative to html/)")
    args = parser.parse_args(argv)

    root = args.html.resolve()
    if not (root / "index.html").is_file():
        print(f"BROWSER TEST FAILED: {root}/index.html does not exist; run `make book` first",
              file=sys.stderr)
        return 1
    if args.screenshots is None:
        args.screenshots = root.parent / "screenshots"
    args.screenshots.mkdir(parents=True, exist_ok=True)
    mathjax_dir = args.mathjax_dir or DEFAULT_MATHJAX_DIR
    if not (mathjax_dir / "tex-mml-chtml.js").is_file():
        if args.mathjax_dir is not None:
            print(f"BROWSER TEST FAILED: {mathjax_dir}/tex-mml-chtml.js not found",
                  file=sys.stderr)
            return 1
        print(f"note: no local MathJax 3 at {mathjax_dir}; pages load it from {MATHJAX_CDN}")
        mathjax_dir = None

    pages = args.pages or list_pages(root)
    if not pages:
        print(f"BROWSER TEST FAILED: no HTML pages under {root}", file=sys.stderr)
        return 1

    server, handler = start_server(root, mathjax_dir)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    t_start = time.perf_counter()
    driver = start_browser(profile)
    try:
        version = driver.capabilities.get("browserVersion", "?")
        print(f"Chromium {version} headless; serving {root} at {base}"
              + (f"; MathJax from {mathjax_dir}" if mathjax_dir else "; MathJax from the CDN"))
        results, ids_by_page, link_targets = [], {}, {}
        for page in pages:
            try:
                res = check_page(driver, base, page, args, ids_by_page, link_targets)
            except Exception as exc:  # a page that crashes the check is a failure, not a skip
                res = PageResult(page, problems=[f"check crashed: {type(exc).__name__}: {exc}"])
            results.append(res)
            status = "ok" if not res.problems else f"{len(res.problems)} PROBLEM(S)"
            print(f"  {page:<45} {res.formulas:5d} formulas {res.images:3d} img "
                  f"{res.links:4d} links {res.seconds:5.1f} s  {status}")
    finally:
        driver.quit()
        server.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    link_problems, unique_links, anchors = check_internal_links(
        root, base, link_targets, ids_by_page)
    server_problems = [f"server answered {code} for {path}" for code, path in handler.errors]

    # the same problem on several pages (e.g. a navigation entry) is reported once
    by_message = {}
    for r in results:
        for p in r.problems:
            pages = by_message.setdefault(p, [])
            if r.page not in pages:
                pages.append(r.page)
    problems = [f"{pages[0]}: {p}" if len(pages) == 1 else
                f"{p}  [on {len(pages)} pages: {', '.join(pages[:4])}"
                + (", ...]" if len(pages) > 4 else "]")
                for p, pages in by_message.items()]
    problems += link_problems + server_problems
    n_img = sum(r.images for r in results)
    n_fig = sum(r.figures for r in results)
    n_links = sum(r.links for r in results)
    print()
    print(f"pages checked:          {len(results)} "
          f"({sum(is_chapter(r.page) for r in results)} chapter pages)")
    print(f"formulas typeset:       {sum(r.formulas for r in results)}")
    n_bad_img = sum(p.startswith("image did not load") for r in results for p in r.problems)
    print(f"images loaded:          {n_img - n_bad_img}"
          f" of {n_img} ({n_fig} figures from notebook outputs and figure directives)")
    print(f"internal links checked: {n_links} ({unique_links} distinct targets, "
          f"{anchors} with #anchors)")
    print(f"external links (not fetched): {len(link_targets.get('external', ()))} distinct")
    n_ignored = sum(r.ignored for r in results)
    n_console = sum(p.startswith("console error") for r in results for p in r.problems)
    print(f"console errors:         {n_console}"
          f" (+ {n_ignored} known harmless, not the book's: "
          + "; ".join(p for p, _ in KNOWN_CONSOLE_NOISE) + ")")
    print(f"screenshots:            {args.screenshots}/ ({len(results)} PNG files)")
    print(f"time:                   {time.perf_counter() - t_start:.1f} s")
    if problems:
        print(f"\nBROWSER TEST FAILED: {len(problems)} problem(s):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 1
    print("BROWSER TEST PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
