"""Sphinx extension for the book's PDF: its LaTeX macros, and its link in the HTML.

The book-wide macros (``\\R``, ``\\norm{}``, ``\\xlone``, ...) have one home, the MathJax
configuration in ``_config.yml`` (``mathjax3_config.tex.macros``); for the LaTeX builder this
extension turns each into a ``\\newcommand`` in the preamble, so the PDF typesets the same
formulas.

``make pdf`` builds the PDF through LaTeX, copies it to ``_build/html/_static/`` (as
:data:`PDF_NAME`) and then rebuilds the HTML (no notebook is executed again: the pages are
only rewritten). When that file exists in the HTML output, every page's download menu gets
an entry "Book (PDF)". Without it (e.g. after a plain ``make book``) the HTML names no PDF, so
it never links to a file that is not there.
"""

from __future__ import annotations

import os

PDF_NAME = "implicit-l1-bias-book.pdf"


def latex_macros(mathjax3_config) -> str:
    """LaTeX definitions of the MathJax macros (``{"R": "\\mathbb{R}", "norm": [body, 1]}``)."""
    macros = ((mathjax3_config or {}).get("tex") or {}).get("macros") or {}
    lines = []
    for name, value in macros.items():
        body, nargs = (value[0], int(value[1])) if isinstance(value, list | tuple) else (value, 0)
        args = f"[{nargs}]" if nargs else ""
        # \providecommand then \renewcommand: defines new names and replaces LaTeX's own
        # (e.g. \ker) with the definition the HTML uses
        lines.append(f"\\providecommand{{\\{name}}}{{}}\\renewcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(lines)


# After unicode-math (loaded by jupyter-book's LaTeX preamble): headings with math make
# hyperref write PDF bookmarks, where unicode-math's symbol commands fail ("Improper alphabetic
# constant"): give the bookmarks plain Unicode instead; and Latin Modern Math has no glyph for
# unicode-math's \setminus (U+29F5), so use \smallsetminus (U+2216), as the HTML shows it.
LATEX_FIXES = r"""
\AtBeginDocument{\pdfstringdefDisableCommands{%
  \def\alpha{α}\def\beta{β}\def\gamma{γ}\def\delta{δ}\def\varepsilon{ε}\def\epsilon{ϵ}%
  \def\lambda{λ}\def\mu{μ}\def\rho{ρ}\def\varrho{ϱ}\def\sigma{σ}\def\tau{τ}\def\eta{η}%
  \def\theta{θ}\def\kappa{κ}\def\xi{ξ}\def\pi{π}\def\phi{φ}\def\psi{ψ}\def\omega{ω}%
  \def\ell{ℓ}\def\ge{≥}\def\le{≤}\def\geq{≥}\def\leq{≤}\def\times{×}\def\infty{∞}%
  \def\log{log}\def\to{→}\def\in{∈}\def\cdot{·}\def\setminus{∖}}%
  \let\setminus\smallsetminus}
"""


def _config_inited(app, config):
    pdf = os.path.join(app.outdir, "_static", PDF_NAME)
    config.book_pdf = PDF_NAME if os.path.isfile(pdf) else ""
    macros = latex_macros(config.mathjax3_config)
    if macros:
        elements = dict(config.latex_elements or {})
        elements["preamble"] = (elements.get("preamble", "") + "\n% the book's macros "
                                "(from mathjax3_config in _config.yml)\n" + macros + "\n"
                                + LATEX_FIXES)
        config.latex_elements = elements


def _add_pdf_button(app, pagename, templatename, context, doctree):
    if not app.config.book_pdf or app.builder.format != "html":
        return
    entry = {
        "type": "link",
        "url": context["pathto"]("_static/" + app.config.book_pdf, 1),
        "text": "Book (PDF)",
        "tooltip": "Download the whole book as one PDF",
        "icon": "fas fa-book",
        "label": "download-book-pdf-button",
    }
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(entry)
            return


def setup(app):
    # rebuild="html": when the PDF appears or disappears every page is rewritten, and no
    # notebook is read (or executed) again
    app.add_config_value("book_pdf", "", "html")
    # after sphinx-jupyterbook-latex has added its preamble (unicode-math) at priority 500
    app.connect("config-inited", _config_inited, priority=900)
    # after sphinx-book-theme has built its header buttons (its handlers run at priority 500)
    app.connect("html-page-context", _add_pdf_button, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
