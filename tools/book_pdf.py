"""Sphinx extension: offer the whole book as a PDF in the HTML, once ``make pdf`` has built it.

``make pdf`` builds the PDF through LaTeX, copies it to ``_build/html/_static/`` (as
:data:`PDF_NAME`) and then rebuilds the HTML (no notebook is executed again: the pages are
only rewritten). When that file exists in the HTML output, every page's download menu gets
an entry "Book (PDF)". Without it (e.g. after a plain ``make book``) the HTML names no PDF, so
it never links to a file that is not there.
"""

from __future__ import annotations

import os

PDF_NAME = "implicit-l1-bias-book.pdf"


def _config_inited(app, config):
    pdf = os.path.join(app.outdir, "_static", PDF_NAME)
    config.book_pdf = PDF_NAME if os.path.isfile(pdf) else ""


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
    app.connect("config-inited", _config_inited)
    # after sphinx-book-theme has built its header buttons (its handlers run at priority 500)
    app.connect("html-page-context", _add_pdf_button, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
