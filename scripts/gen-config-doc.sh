#!/bin/sh
# Regenerates the configuration reference in README.md from the option
# table: the text between the `<!-- config-reference:begin -->` and
# `<!-- config-reference:end -->` lines becomes the output of
# `PETREL_BIN --config-reference`.
# With --check it changes nothing, and exits 1 with a diff when README.md is
# out of date (`make docs` fixes it).
# Usage: scripts/gen-config-doc.sh PETREL_BIN [--check]
set -eu
usage() { echo "usage: $0 PETREL_BIN [--check]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
bin=$1
check=0
if [ $# -eq 2 ]; then
    [ "$2" = "--check" ] || usage
    check=1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
readme=$root/README.md
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" --config-reference >"$tmp/ref.md"
[ -s "$tmp/ref.md" ] || { echo "$0: '$bin --config-reference' printed nothing" >&2; exit 2; }

# Keeps both marker lines, with a blank line inside each so the Markdown
# around the generated text parses the same wherever it is placed.
awk -v ref="$tmp/ref.md" '
    $0 == "<!-- config-reference:begin -->" {
        if (state != 0) exit 3
        print; print ""
        while ((getline line < ref) > 0) print line
        print ""
        state = 1; next
    }
    $0 == "<!-- config-reference:end -->" {
        if (state != 1) exit 3
        state = 2; print; next
    }
    state != 1 { print }
    END { if (state != 2) exit 3 }
' "$readme" >"$tmp/README.md" || {
    echo "$0: README.md needs one '<!-- config-reference:begin -->' line followed by one" \
        "'<!-- config-reference:end -->' line" >&2
    exit 2
}

if cmp -s "$readme" "$tmp/README.md"; then
    exit 0
fi
if [ "$check" = 1 ]; then
    echo "README.md: the configuration reference is out of date; run 'make docs'" >&2
    diff -u --label README.md --label "README.md (generated)" "$readme" "$tmp/README.md" || true
    exit 1
fi
cp "$tmp/README.md" "$readme"
echo "README.md: configuration reference updated"
