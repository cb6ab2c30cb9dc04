#!/usr/bin/env bash
# Copies the corpus that `go test -fuzz` built up in the Go build cache into
# each package's testdata/fuzz/<FuzzName>/, so the inputs found by long runs
# stay in the repository and every `go test` replays them as seeds.
#
#   scripts/fuzz.sh            # fuzz (FUZZTIME=10000000x for the long runs)
#   scripts/fuzz-keep.sh       # then keep what it found; commit testdata/fuzz
#
# Only the corpus of fuzz targets that still exist is copied; files already in
# testdata are left alone (their names are content hashes).
set -euo pipefail
cd "$(dirname "$0")/.."
module="$(go list -m)"
cache="$(go env GOCACHE)/fuzz/$module"
if [[ ! -d "$cache" ]]; then
	echo "fuzz-keep: no fuzz corpus in $cache (run scripts/fuzz.sh first)" >&2
	exit 2
fi
kept=0
while IFS= read -r dir; do
	rel="${dir#"$cache"/}"          # backend/config/FuzzParseCharacters
	pkg="$(dirname "$rel")"
	name="$(basename "$rel")"
	if ! grep -qs "^func $name(" "$pkg"/*_test.go; then
		continue
	fi
	dest="$pkg/testdata/fuzz/$name"
	mkdir -p "$dest"
	n=0
	for f in "$dir"/*; do
		[[ -f "$f" ]] || continue
		if [[ ! -e "$dest/$(basename "$f")" ]]; then
			cp "$f" "$dest/"
			n=$((n + 1))
		fi
	done
	printf '%-40s %-30s +%d\n' "$pkg" "$name" "$n"
	kept=$((kept + n))
done < <(find "$cache" -mindepth 2 -type d -name 'Fuzz*' | LC_ALL=C sort)
echo "kept $kept new corpus files"
