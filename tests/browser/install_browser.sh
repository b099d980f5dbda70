#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver for the browser test, if they are missing.
# Fails loudly (exit 1) if they cannot be installed: the browser test never passes silently.
set -euo pipefail

have() { command -v "$1" >/dev/null 2>&1; }

if have chromium && have chromedriver; then
  echo "browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif have sudo && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  echo "ERROR: chromium/chromedriver are not installed and this user cannot install them" >&2
  echo "       (not root, and no password-less sudo). Install the Debian packages" >&2
  echo "       'chromium' and 'chromium-driver' (apt-get install -y chromium chromium-driver)" >&2
  echo "       and run 'make test-browser' again." >&2
  exit 1
fi

if ! have apt-get; then
  echo "ERROR: chromium/chromedriver are missing and apt-get is not available on this machine;" >&2
  echo "       install Chromium and a matching ChromeDriver (on PATH as 'chromium' and" >&2
  echo "       'chromedriver') and run 'make test-browser' again." >&2
  exit 1
fi

echo "browser: installing Debian packages chromium and chromium-driver ..."
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if ! { "${SUDO[@]}" apt-get update -qq && \
       "${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver; } >"$log" 2>&1; then
  echo "ERROR: 'apt-get update && apt-get install chromium chromium-driver' failed; last lines of $log:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
fi

if ! have chromium || ! have chromedriver; then
  echo "ERROR: apt-get finished but chromium/chromedriver are still not on PATH" >&2
  exit 1
fi
echo "browser: $(chromium --version 2>/dev/null | head -1); $(chromedriver --version 2>/dev/null | head -1)"
