#!/usr/bin/env bash
# Run every fuzz target of the module for a short, bounded time each
# (FUZZTIME, default 5s): CI runs it after the tests, so that hostile input
# keeps being thrown at the parsers, not only the committed seed corpus
# (which `go test` replays on every run). A failure leaves the input under
# the package's testdata/fuzz/<Target>/: commit it with the fix.
#
#   scripts/fuzz.sh                 # every target, 5s each
#   FUZZTIME=2m scripts/fuzz.sh FuzzParseCSV
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-5s}
only=${1:-}

targets=$(grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg=./$(dirname "${file#./}")
  grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //' | while read -r name; do
    echo "$pkg $name"
  done
done)

n=0
failed=
while read -r pkg name; do
  [ -z "$pkg" ] && continue
  if [ -n "$only" ] && [ "$only" != "$name" ]; then continue; fi
  n=$((n + 1))
  echo "== $name ($pkg, $fuzztime)"
  # -parallel 2: these machines have two cores; -run '^$' skips the tests.
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel 2 "$pkg" 2>&1 | tail -n 12; then
    failed="$failed $name"
  fi
done <<< "$targets"
echo "fuzzed $n targets, $fuzztime each"
if [ -n "$failed" ]; then
  echo "failed:$failed" >&2
  exit 1
fi
