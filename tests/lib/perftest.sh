# perftest runs for guest suites and the benchmark.  Sourced after tap.sh.
#
# perftest_pair SERVER_PREFIX SERVER_DEV CLIENT_DEV ADDR TOOL ARGS...: a
# server (run under SERVER_PREFIX, e.g. "ip netns exec ns1") and a client;
# the client's output lands in $perf_out, its status in $perf_rc, the
# server's output in /tmp/perf-server.log.  Bounded by $PERFTEST_TIMEOUT,
# scaled.
perftest_pair() {
	local pre=$1 sdev=$2 cdev=$3 addr=$4 tool=$5 try
	shift 5
	for try in 1 2 3 4 5; do
		$pre "$tool" -d "$sdev" -x 1 "$@" > /tmp/perf-server.log 2>&1 &
		sleep 1
		perf_out=$(timeout "$(scaled "${PERFTEST_TIMEOUT:-600}")" "$tool" -d "$cdev" -x 1 "$@" "$addr" 2>&1)
		perf_rc=$?
		wait
		# perftest times with the cycle counter, which TCG sometimes makes
		# too irregular to calibrate ("r^2 < 0.9"): that run says nothing.
		grep -q "Correlation coefficient" /tmp/perf-server.log - <<< "$perf_out" || break
		echo "# perftest could not calibrate its clock; running $tool again" >&2
		sleep 1
	done
}

# perf NAME SERVER_PREFIX SERVER_DEV CLIENT_DEV ADDR TOOL ARGS...: a TAP line
# that passes when the run completes with at least $EXPECT_ROWS result rows.
perf() {
	local name=$1 rows
	shift
	perftest_pair "$@"
	# Result rows: size, iterations, peak, average, rate.
	rows=$(grep -cE '^[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9.]+[[:space:]]+[0-9.]+[[:space:]]+[0-9.]+' <<< "$perf_out")
	if [ $perf_rc -eq 0 ] && [ "$rows" -ge "${EXPECT_ROWS:-1}" ]; then
		pass "$name ($rows sizes)"
		grep -E '^ +[0-9]+ +[0-9]+ ' <<< "$perf_out" |
			awk '{ printf "#   %10s B  %10s MiB/s\n", $1, $4 }' | sed -n '1p;$p'
	else
		fail "$name" "exit $perf_rc, $rows result rows" "$(tail -5 <<< "$perf_out")" \
			"server: $(tail -3 /tmp/perf-server.log)"
	fi
}
