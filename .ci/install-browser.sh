#!/usr/bin/env bash
# Install what tests/test_browser.py needs to open the built book as a reader does:
#   - Debian's chromium (the browser; Playwright drives it, it downloads no browser of its own),
#   - MathJax 3 from the npm registry into /opt/ionmotion-browser (the pages load MathJax from
#     its CDN; the test answers those requests from this copy, since CI has no other network).
# The Python driver (playwright) comes from requirements.txt. Idempotent; ~1 min the first time.
set -euo pipefail
MATHJAX_VERSION=3.2.2
PREFIX=${IONMOTION_BROWSER_PREFIX:-/opt/ionmotion-browser}
t0=$(date +%s)
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -f "$PREFIX/node_modules/mathjax/es5/tex-mml-chtml.js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  mkdir -p "$PREFIX"
  npm install --prefix "$PREFIX" --no-audit --no-fund --silent "mathjax@$MATHJAX_VERSION"
fi
python -c "import playwright" 2>/dev/null || python -m pip install -q "$(grep -E '^playwright==' "$(dirname "$0")/../requirements.txt")"
echo "browser: $(chromium --version 2>/dev/null | head -1); MathJax $MATHJAX_VERSION in $PREFIX; $(( $(date +%s) - t0 )) s"
