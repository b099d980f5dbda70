#!/usr/bin/env bash
# Install Debian's TeX Live (XeLaTeX), latexmk, the fonts the PDF uses and poppler-utils, if
# missing. Used by `make pdf` (like tests/browser/install_browser.sh for the browser test).
# Idempotent: does nothing when every command and font is already there. Fails loudly (exit 1).
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
# The minimal Debian set for Sphinx's LaTeX builder with xelatex (see Sphinx's latex docs):
PACKAGES=(texlive-latex-recommended texlive-latex-extra texlive-fonts-recommended
          texlive-xetex latexmk xindy fonts-freefont-otf tex-gyre poppler-utils)

fonts_ok() { have fc-list && fc-list | grep -q "FreeSerif"; }
if have xelatex && have latexmk && have xindy && have pdfinfo && have pdftotext \
   && have pdfimages && fonts_ok && kpsewhich fncychap.sty >/dev/null 2>&1; then
  echo "latex: $(xelatex --version 2>/dev/null | head -1); $(latexmk --version 2>/dev/null | grep -m1 Version)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif have sudo && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "ERROR: TeX Live/latexmk are not installed and this user cannot install them (not root," >&2
  echo "       no password-less sudo). Install the Debian packages: ${PACKAGES[*]}" >&2
  exit 1
fi
if ! have apt-get; then
  echo "ERROR: TeX Live is missing and apt-get is not available; install: ${PACKAGES[*]}" >&2
  exit 1
fi

echo "latex: installing Debian packages ${PACKAGES[*]} (a few minutes) ..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } >"$log" 2>&1; then
  echo "ERROR: apt-get install ${PACKAGES[*]} failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
fi
for cmd in xelatex latexmk xindy pdfinfo pdftotext pdfimages; do
  have "$cmd" || { echo "ERROR: apt-get finished but $cmd is not on PATH" >&2; exit 1; }
done
echo "latex: $(xelatex --version 2>/dev/null | head -1); $(latexmk --version 2>/dev/null | grep -m1 Version)"
