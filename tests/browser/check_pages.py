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
* chapter pages offer the ``.ipynb`` download and exercise solutions are collapsed; with a
  repository address (``--repository-url``, default: the environment variable
  ``BOOK_REPOSITORY_URL`` that the build read too) they offer the Binder and Colab launch
  buttons, and without one no page has a repository, issue or launch button;
* no page links to an invented address (``check_links.py``: nothing under
  ``github.com/implicit-bias-book``, no GitHub link that is neither the configured repository
  nor in ``references.bib``);
* **no request leaves the machine**: Chromium runs with every non-loopback address routed to
  a sink proxy on 127.0.0.1 that refuses and records each attempt (so the network is
  unreachable for the browser), and every request a page makes (Chrome's network log) must go
  to the local server. MathJax must therefore come from the book's own ``_static/mathjax/``.
  Chromium's own background services (sign-in, component updates, ...) are refused by the
  sink like everything else and listed in the summary; they are not the book's requests
  (``CHROMIUM_BACKGROUND_HOSTS``), and an attempt to any other host fails the test.

A screenshot of the first screen of each page is saved to ``_build/screenshots/``
(``chapters__<name>.png``), and for each chapter one centred on its first figure
(``chapters__<name>--first-figure.png``).

The network is not needed, and not reachable: the pages are served unchanged (no
substitution of any file) on 127.0.0.1 from a random free port.

If Chromium or ChromeDriver cannot be started the script fails (exit status 2) with a
message saying what to install; it never passes silently.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import http.server
import json
import os
import pathlib
import re
import shutil
import socketserver
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import check_links  # noqa: E402 - the sibling module, also a script of its own

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
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
    # fewer background requests of Chromium's own (they go to the sink proxy in any case)
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-default-browser-check",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-features=OptimizationHints,OptimizationGuideModelDownloading,"
    "NetworkTimeServiceQuerying,MediaRouter,DialMediaRouteProvider,Translate,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater",
]
# Hosts that Chromium itself contacts in the background (not a page of the book: every request
# a page makes is checked separately, from Chrome's network log). Their attempts are refused
# by the sink proxy like every other, listed in the summary, and do not fail the test; an
# attempt to any other host fails it.
CHROMIUM_BACKGROUND_HOSTS = {
    "accounts.google.com": "sign-in service probe",
    "clients2.google.com": "network time / component update",
    "update.googleapis.com": "component updater",
    "optimizationguide-pa.googleapis.com": "optimization hints",
    "start.duckduckgo.com": "preconnect to the default search engine",
    "www.google.com": "default search engine / connectivity probes",
    "safebrowsing.googleapis.com": "Safe Browsing list updates",
    "redirector.gvt1.com": "component downloads",
    "edgedl.me.gvt1.com": "component downloads",
    "content-autofill.googleapis.com": "autofill",
}
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
    """Static server for the book: serves the files as built, and records error statuses."""

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


def start_server(root: pathlib.Path):
    handler = type("Handler", (_Handler,), {"errors": []})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler


class _SinkProxy(socketserver.BaseRequestHandler):
    """The browser's proxy for every non-loopback address: records the attempt and refuses."""

    attempts: list = []

    def handle(self):
        self.request.settimeout(5)
        try:
            head = self.request.recv(4096).decode("latin-1", errors="replace")
        except OSError:
            head = ""
        line = head.split("\r\n", 1)[0].strip()
        if line:
            self.attempts.append(line)
        try:
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n"
                                 b"Connection: close\r\n\r\n")
        except OSError:
            pass


def start_sink_proxy():
    handler = type("SinkProxy", (_SinkProxy,), {"attempts": []})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler


def attempt_host(request_line: str) -> str:
    """The host of a proxy request line (``CONNECT host:443 ...`` or ``GET http://host/...``)."""
    parts = request_line.split()
    if len(parts) < 2:
        return ""
    target = parts[1]
    if parts[0] == "CONNECT":
        return target.rsplit(":", 1)[0]
    return urllib.parse.urlsplit(target).hostname or ""


def is_local_url(url: str) -> bool:
    """True for URLs that do not leave the machine (loopback, data:, blob:, about:...)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss", "ftp"):
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS or (parts.hostname or "").startswith("127.")


# --------------------------------------------------------------------------- browser
def find_executable(names, env_var):
    if os.environ.get(env_var):
        return os.environ[env_var]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


def start_browser(profile_dir: str, proxy_port: int):
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
    # No network: every address except loopback goes to the sink proxy (Chromium bypasses the
    # proxy for loopback by default), and no host name is resolved except the local ones.
    offline = [f"--proxy-server=http://127.0.0.1:{proxy_port}",
               "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1"]
    for flag in CHROME_FLAGS + offline + [f"--user-data-dir={profile_dir}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
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
    driver.get_log("performance")
    driver.get(base + page)
    mj = driver.execute_async_script(JS_WAIT_MATHJAX, args.mathjax_timeout)
    if mj["status"] == "missing":
        res.problems.append("MathJax did not load (window.MathJax.startup.promise never "
                            "appeared; it must come from the book's own _static/mathjax/)")
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
        binder = any("mybinder.org/v2/gh/" in h and stem in h for h in hrefs)
        colab = any("colab.research.google.com/github/" in h and stem in h for h in hrefs)
        if args.repository_url and args.repository_url.startswith("https://github.com/"):
            if not binder:
                res.problems.append("no Binder launch button")
            if not colab:
                res.problems.append("no Colab launch button")
    if not args.repository_url:
        for h in (link["href"] for link in info["links"]):
            if any(s in h for s in ("mybinder.org", "colab.research.google.com",
                                    "/issues/new")):
                res.problems.append(f"link {h!r} but no repository is configured "
                                    "(BOOK_REPOSITORY_URL unset)")
        for sid in info["openSolutions"]:
            res.problems.append(f"solution {sid} is not collapsed")
    for entry in driver.get_log("performance"):
        try:
            msg = json.loads(entry["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            url = msg.get("params", {}).get("request", {}).get("url", "")
            if not is_local_url(url):
                res.problems.append(f"request leaves the machine: {url[:200]}")
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
    parser.add_argument("--repository-url", default=os.environ.get("BOOK_REPOSITORY_URL", ""),
                        help="the repository address the book was built with (default: "
                             "$BOOK_REPOSITORY_URL); empty: no repository buttons allowed")
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
    args.repository_url = args.repository_url.strip().rstrip("/").removesuffix(".git")

    pages = args.pages or list_pages(root)
    if not pages:
        print(f"BROWSER TEST FAILED: no HTML pages under {root}", file=sys.stderr)
        return 1

    server, handler = start_server(root)
    proxy, sink = start_sink_proxy()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    t_start = time.perf_counter()
    driver = start_browser(profile, proxy.server_address[1])
    try:
        version = driver.capabilities.get("browserVersion", "?")
        print(f"Chromium {version} headless, network unreachable (sink proxy on port "
              f"{proxy.server_address[1]}); serving {root} at {base}; repository: "
              + (args.repository_url or "none (no repository or launch buttons expected)"))
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
        proxy.shutdown()
        shutil.rmtree(profile, ignore_errors=True)

    link_problems, unique_links, anchors = check_internal_links(
        root, base, link_targets, ids_by_page)
    server_problems = [f"server answered {code} for {path}" for code, path in handler.errors]
    background = [line for line in sink.attempts
                  if attempt_host(line) in CHROMIUM_BACKGROUND_HOSTS]
    server_problems += [f"the browser tried to reach the network: {line}"
                        for line in sink.attempts if line not in background]
    invented = check_links.invented_links(root, args.repository_url or None)
    server_problems += [f"{page}: link to an invented address: {url}" for page, url in invented]

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
    print(f"external links (not fetched): {len(link_targets.get('external', ()))} distinct; "
          f"links to invented addresses: {len(invented)}")
    print(f"network requests:       {len(sink.attempts) - len(background)} attempted for the "
          f"book's pages (must be 0: the book works offline); {len(background)} of "
          f"Chromium's own background services refused ("
          + ", ".join(sorted({attempt_host(line) for line in background})) + ")")
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
