#!/bin/bash
# tests/lib/pyverbs.sh DEV MODULE...: run rdma-core's own pyverbs test modules
# (the copy Debian ships with python3-pyverbs, same version as the provider's
# rdma-core, or $HODP_PYVERBS_TESTS) on DEV, one module at a time, and report
# every test case as TAP.
# A module that dies or prints no verdict counts as a failure.
set -u
dev=$1
shift
src=${HODP_PYVERBS_TESTS:-/usr/share/doc/rdma-core/tests}
work=$(mktemp -d)
cp -r "$src" "$work/tests"
find "$work/tests" -name '*.gz' -exec gunzip -f {} +
scale=${HODP_TIME_SCALE:-1}
# Its own bound on a completion, stretched like ours.  (base.py's TIMEOUT is
# the QP's ACK timeout exponent, not seconds: left alone.)
sed -i -E "s/^POLL_CQ_TIMEOUT = ([0-9]+)/POLL_CQ_TIMEOUT = \1 * $scale/" "$work"/tests/utils.py
n=0 failed=0
for mod in "$@"; do
	log=$work/$mod.log
	(cd "$work" && timeout $((900 * scale)) python3 tests/run_tests.py --dev "$dev" --gid 1 -v "$mod") \
		> "$log" 2>&1
	rc=$?
	# unittest -v prints "test_x (tests.mod.Class.test_x)", then on the same
	# line or after the docstring " ... ok|FAIL|ERROR|skipped 'why'".
	while IFS=$'\t' read -r name verdict; do
		n=$((n + 1))
		case $verdict in
		ok|"expected failure") echo "ok $n - $name" ;;
		skipped*) echo "ok $n - $name # SKIP ${verdict#skipped }" ;;
		*) echo "not ok $n - $name ($verdict)"; failed=$((failed + 1)) ;;
		esac
	done < <(awk '
		function verdict(v) { return v ~ /^(ok|FAIL|ERROR|expected failure|unexpected success|skipped .*)$/ }
		match($0, /^test[^ ]* \([^)]*\)/) {
			name = substr($0, RSTART, RLENGTH); sub(/^[^(]*\(/, "", name); sub(/\)$/, "", name)
			pending = ""
		}
		name != "" && match($0, / \.\.\. .*$/) {
			v = substr($0, RSTART + 5)
			if (verdict(v)) { print name "\t" v; name = "" } else pending = name
			next
		}
		# Stray stderr (e.g. from object destructors) can split "... " from its verdict.
		pending != "" && verdict($0) { print pending "\t" $0; pending = ""; name = "" }
		' "$log")
	if ! grep -qE '^(OK|FAILED)' "$log" || { [ $rc -ne 0 ] && ! grep -q '^FAILED' "$log"; }; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - $mod: run_tests.py exited $rc without a verdict"
	fi
	if grep -qE '^(FAILED|.*(Error|Traceback))' "$log"; then
		sed -n '/^=====/,$p' "$log" | head -60 | sed 's/^/#   /'
	fi
done
rm -rf "$work"
exit $((failed > 0))
