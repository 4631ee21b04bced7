#!/usr/bin/env bash
# Formats every tracked C++ file in place (scripts/check.sh fails on any difference).
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files --cached --others --exclude-standard '*.h' '*.cpp' | xargs clang-format -i
