#!/bin/sh
# The system programs the tests drive, from Debian's package registry (as root, or through sudo):
#   chromium   the real headless browser of tests/output/test_browser.py (playwright launches it; playwright's
#              own browser download is not used)
#   pdflatex   TeX Live's LaTeX (texlive-latex-base, texlive-latex-recommended: booktabs), which compiles
#              the LaTeX output in tests/output/test_publishing.py
# A no-op when both are there already. About a minute on a fresh Debian 12 machine.
set -eu

missing=""
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v pdflatex >/dev/null 2>&1 || missing="$missing texlive-latex-base texlive-latex-recommended"
if [ -z "$missing" ]; then
    echo "install_test_tools: chromium and pdflatex are installed"
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "install_test_tools: apt-get install$missing"
$sudo apt-get update -q
# shellcheck disable=SC2086  (the package names are words)
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
