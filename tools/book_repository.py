"""Sphinx extension: the book's repository address is ONE setting, read at build time.

``_config.yml`` names no repository. This extension (loaded through ``sphinx:
local_extensions`` in ``_config.yml``) reads the environment variable
``BOOK_REPOSITORY_URL`` when the build starts:

* unset or empty: the book shows no repository, issue or launch (Binder, Colab) buttons and
  links to no repository at all, so no button points to an address that does not exist;
* set, e.g. ``BOOK_REPOSITORY_URL=https://github.com/<owner>/<repo>``: the repository and
  issue buttons point there, and every chapter gets Binder and Colab launch buttons that open
  the notebook from that repository (branch ``BOOK_REPOSITORY_BRANCH``, default ``main``).

Launch buttons need a GitHub address (Binder's ``/v2/gh/`` and Colab's ``/github/`` routes);
any other address gets the repository button only.
"""

from __future__ import annotations

import os
import re

ENV_URL = "BOOK_REPOSITORY_URL"
ENV_BRANCH = "BOOK_REPOSITORY_BRANCH"
BINDERHUB_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
_GITHUB = re.compile(r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def repository_url() -> str | None:
    """The repository address from the environment, without a trailing slash or ``.git``."""
    url = os.environ.get(ENV_URL, "").strip().rstrip("/")
    if url.endswith(".git"):
        url = url[: -len(".git")]
    return url or None


def theme_options(options: dict, url: str | None, branch: str = "main") -> dict:
    """``html_theme_options`` with the repository and launch settings for ``url``."""
    options = dict(options)
    for key in ("repository_url", "use_repository_button", "use_issues_button",
                "use_edit_page_button"):
        options.pop(key, None)
    launch = {k: v for k, v in dict(options.get("launch_buttons") or {}).items()
              if k not in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url")}
    if url:
        options.update(repository_url=url, repository_branch=branch,
                       use_repository_button=True)
        if _GITHUB.match(url):
            options["use_issues_button"] = True
            launch.update(binderhub_url=BINDERHUB_URL, colab_url=COLAB_URL)
    options["launch_buttons"] = launch
    return options


def _config_inited(app, config):
    url = repository_url()
    branch = os.environ.get(ENV_BRANCH, "").strip() or "main"
    config.html_theme_options = theme_options(config.html_theme_options, url, branch)
    if url:
        print(f"book_repository: repository and launch buttons for {url} (branch {branch})")
    else:
        print(f"book_repository: {ENV_URL} is not set: no repository or launch buttons")


def setup(app):
    app.connect("config-inited", _config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
