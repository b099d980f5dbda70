"""The repository address is one setting (BOOK_REPOSITORY_URL): tools/book_repository.py turns
it into theme options, and tests/browser/check_links.py flags links to invented addresses."""

import pathlib
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import book_repository  # noqa: E402
import check_links  # noqa: E402

URL = "https://github.com/some-owner/some-repo"
BASE = {"launch_buttons": {"notebook_interface": "classic", "binderhub_url": "",
                           "colab_url": ""},
        "repository_url": "https://github.com/executablebooks/jupyter-book",
        "use_repository_button": False, "use_issues_button": False}


def test_config_names_no_repository():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "url" not in config.get("repository", {})
    assert not any(config.get("launch_buttons", {}).get(k)
                   for k in ("binderhub_url", "colab_url", "jupyterhub_url"))
    assert "book_repository" in config["sphinx"]["local_extensions"]
    assert "http" not in (ROOT / "_config.yml").read_text().split("mathjax3_config")[0]


def test_without_url_no_buttons_and_no_repository():
    opts = book_repository.theme_options(BASE, None)
    assert "repository_url" not in opts  # not even jupyter-book's default
    assert not opts.get("use_repository_button") and not opts.get("use_issues_button")
    assert not any(opts["launch_buttons"].get(k) for k in ("binderhub_url", "colab_url"))


def test_with_github_url_buttons_and_launchers():
    opts = book_repository.theme_options(BASE, URL, "main")
    assert opts["repository_url"] == URL and opts["repository_branch"] == "main"
    assert opts["use_repository_button"] and opts["use_issues_button"]
    assert opts["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert opts["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


def test_other_host_gets_repository_button_only():
    opts = book_repository.theme_options(BASE, "https://example.org/git/book")
    assert opts["use_repository_button"]
    assert not opts["launch_buttons"].get("binderhub_url")


def test_url_from_environment(monkeypatch):
    monkeypatch.setenv("BOOK_REPOSITORY_URL", URL + ".git/")
    assert book_repository.repository_url() == URL
    monkeypatch.setenv("BOOK_REPOSITORY_URL", "  ")
    assert book_repository.repository_url() is None


def test_invented_links_are_flagged():
    allowed = set()
    invented = "https://github.com/implicit-bias-book/implicit-bias-book"
    assert check_links.is_invented(invented, None, allowed)
    assert check_links.is_invented(invented + "/issues/new?title=x", None, allowed)
    assert check_links.is_invented("https://mybinder.org/v2/gh/a/b/main", None, allowed)
    assert not check_links.is_invented("https://doi.org/10.1000/xyz", None, allowed)
    assert not check_links.is_invented("_static/x.pdf", None, allowed)
    # with a configured repository its own buttons are fine, others are not
    assert not check_links.is_invented(URL + "/issues/new", URL, allowed)
    assert not check_links.is_invented(
        "https://mybinder.org/v2/gh/some-owner/some-repo/main?urlpath=tree/x", URL, allowed)
    assert not check_links.is_invented(
        "https://colab.research.google.com/github/some-owner/some-repo/blob/main/x", URL, allowed)
    assert check_links.is_invented("https://github.com/other/repo", URL, allowed)
    assert not check_links.is_invented("https://github.com/a/b", None, {"https://github.com/a/b"})


def test_invented_links_found_in_html(tmp_path):
    (tmp_path / "index.html").write_text(
        '<a href="https://github.com/implicit-bias-book/implicit-bias-book">repo</a>'
        '<a href="chapters/x.html">x</a>')
    found = check_links.invented_links(tmp_path, None)
    assert found == [("index.html", "https://github.com/implicit-bias-book/implicit-bias-book")]
