#!/usr/bin/env bash
# Runs every Go fuzz target in the repository, one at a time, for a set time
# each, and prints a table of target / executions / result.
#
#   FUZZTIME=30s scripts/fuzz.sh            # every target, 30 s each (default)
#   FUZZTIME=10m FUZZ_MATCH=guard scripts/fuzz.sh
#
# Environment:
#   FUZZTIME       -fuzztime per target: a duration (30s) or a count (1000000x)
#   FUZZ_MATCH     only targets whose "package-dir.FuzzName" matches this ERE
#   FUZZ_PARALLEL  fuzzing workers per target (go test -parallel; default GOMAXPROCS)
#   FUZZ_TAGS      build tags passed to go test -tags
#   FUZZ_MINIMIZETIME  -fuzzminimizetime (go's default is 60s per new input;
#                  long runs on big inputs spend most of their time there)
#   FUZZ_LOGDIR    keep each target's full output here (default: a temp folder)
#
# A crashing input is written by go test to <pkg>/testdata/fuzz/<FuzzName>/;
# commit it with the fix so it stays in the seed corpus. Exits 1 when any
# target failed, 2 when there is nothing to run.
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-30s}"
FUZZ_MATCH="${FUZZ_MATCH:-}"
LOGDIR="${FUZZ_LOGDIR:-$(mktemp -d "${TMPDIR:-/tmp}/neko-fuzz.XXXXXX")}"
mkdir -p "$LOGDIR"

extra=()
if [[ -n "${FUZZ_PARALLEL:-}" ]]; then extra+=(-parallel "$FUZZ_PARALLEL"); fi
if [[ -n "${FUZZ_TAGS:-}" ]]; then extra+=(-tags "$FUZZ_TAGS"); fi
if [[ -n "${FUZZ_MINIMIZETIME:-}" ]]; then extra+=(-fuzzminimizetime "$FUZZ_MINIMIZETIME"); fi

# "dir FuzzName" pairs from every _test.go outside vendored and generated trees.
targets=()
while IFS= read -r line; do
	targets+=("$line")
done < <(
	find . \( -name node_modules -o -name .git -o -name vendor -o -name dist -o -name testdata \) -prune -o \
		-name '*_test.go' -type f -print |
		LC_ALL=C sort |
		while IFS= read -r f; do
			dir="$(dirname "$f")"
			sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p' "$f" | while IFS= read -r name; do
				echo "$dir $name"
			done
		done
)

selected=()
for t in "${targets[@]+"${targets[@]}"}"; do
	dir="${t% *}"
	name="${t#* }"
	if [[ -n "$FUZZ_MATCH" ]] && ! [[ "${dir#./}.$name" =~ $FUZZ_MATCH ]]; then
		continue
	fi
	selected+=("$t")
done
if [[ ${#selected[@]} -eq 0 ]]; then
	echo "fuzz.sh: no fuzz targets found${FUZZ_MATCH:+ matching $FUZZ_MATCH}" >&2
	exit 2
fi

echo "fuzzing ${#selected[@]} targets for $FUZZTIME each (logs in $LOGDIR)"
failed=0
rows=()
total=0
for t in "${selected[@]}"; do
	dir="${t% *}"
	name="${t#* }"
	pkg="${dir#./}"
	log="$LOGDIR/${pkg//\//_}.$name.log"
	start=$(date +%s)
	if go test "${extra[@]+"${extra[@]}"}" -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "./$pkg" >"$log" 2>&1; then
		result=ok
	else
		result=FAIL
		failed=1
	fi
	secs=$(( $(date +%s) - start ))
	# The last progress line carries the total: "fuzz: elapsed: 30s, execs: 123 (4/sec), …"
	execs=$(sed -n 's/.*execs: \([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	execs="${execs:-0}"
	total=$(( total + execs ))
	if [[ "$result" == FAIL ]]; then
		crash=$(sed -n 's/.*Failing input written to \(.*\)$/\1/p' "$log" | tail -n 1)
		[[ -n "$crash" ]] && result="FAIL ($crash)"
		echo "--- $pkg $name failed; last lines of $log:" >&2
		tail -n 25 "$log" >&2
	fi
	rows+=("$(printf '%-40s %-32s %14s %6ss  %s' "$pkg" "$name" "$execs" "$secs" "$result")")
done

echo
printf '%-40s %-32s %14s %7s  %s\n' package target executions time result
for r in "${rows[@]}"; do echo "$r"; done
printf '%-40s %-32s %14s\n' "" total "$total"
exit "$failed"
