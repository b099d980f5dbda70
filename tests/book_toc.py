"""Reading the book's table of contents, shared by the hygiene and docs tests."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def toc():
    """The parsed ``_toc.yml``."""
    return yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files(node):
    """Every ``root``/``file`` entry below ``node`` (a parsed toc, part or list), in order."""
    out = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                out.append(node[key])
        for value in node.values():
            out.extend(toc_files(value))
    elif isinstance(node, list):
        for value in node:
            out.extend(toc_files(value))
    return out


def toc_entries():
    """All documents listed in ``_toc.yml``."""
    return toc_files(toc())
