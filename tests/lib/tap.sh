# Test-anything output for guest suites written in bash.  Sourced.
# A suite prints one line per test: "ok N - name", "not ok N - name" or
# "ok N - name # SKIP why"; tests/check counts them.
_tap_n=0
_tap_failed=0

# pass NAME / fail NAME [DETAIL...] / skip NAME WHY
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
	shift
	[ $# -eq 0 ] || note "$@" | sed 's/^#/#  /'
}
# note LINE...: context and figures, as TAP comments (every line of each).
note() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }

# check NAME CMD...: passes when CMD exits 0; its output is shown on failure.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$* ->" "$out"; fi
}

# check_fails NAME PATTERN CMD...: passes when CMD fails and says PATTERN.
check_fails() {
	local name=$1 pattern=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$name" "$* unexpectedly succeeded" "$out"
	elif ! grep -qiE -- "$pattern" <<< "$out"; then
		fail "$name" "$* failed without /$pattern/:" "$out"
	else
		pass "$name"
	fi
}

# scaled SECONDS: a time bound stretched by $HODP_TIME_SCALE, which the guest
# sets on the debug kernel (KASAN and lockdep make the same work many times
# slower).  Bounds catch hangs; they are never speed targets.
scaled() { echo $(($1 * ${HODP_TIME_SCALE:-1})); }

# resources DEV: DEV's objects as "pd N cq N qp N ... mr N ctx N" from rdma
# resource, without the counters that change on their own.
resources() { rdma resource show | sed -n "s/^[0-9]*: $1: //p" | sed 's/comp_cntr [0-9]*//'; }
# resources_are DEV WANT: DEV holds exactly the objects WANT says.
resources_are() { test "$(resources "$1")" = "$2"; }

# wait_for SECONDS CMD...: retries CMD every 0.1 s until it succeeds, for
# SECONDS scaled.
wait_for() {
	local tries=$(($(scaled "$1") * 10))
	shift
	while ! "$@" >/dev/null 2>&1; do
		tries=$((tries - 1))
		[ $tries -gt 0 ] || return 1
		sleep 0.1
	done
}

# run_tap CMD...: CMD prints TAP lines of its own; renumber them into this
# suite's and pass its other lines through.  One more test fails when CMD
# exits non-zero without a failing line of its own (it crashed or gave up).
run_tap() {
	local line rc=0 failed=0
	while IFS= read -r line; do
		case $line in
		"ok "*) pass "${line#ok * - }" ;;
		"not ok "*) fail "${line#not ok * - }"; failed=1 ;;
		"#tap-exit "*) rc=${line#\#tap-exit } ;;
		*) echo "$line" ;;
		esac
	done < <("$@" 2>&1; echo "#tap-exit $?")
	[ "$rc" -eq 0 ] || [ $failed = 1 ] || fail "$* exited with status $rc"
}

tap_done() { exit $((_tap_failed > 0)); }
