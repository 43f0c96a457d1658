# perftest runs for guest suites.  Sourced after tap.sh.
#
# perf NAME SERVER_PREFIX SERVER_DEV CLIENT_DEV ADDR ARGS...
perf() {
	local name=$1 pre=$2 sdev=$3 cdev=$4 addr=$5 tool=$6 out rows rc try
	shift 6
	for try in 1 2; do
		$pre "$tool" -d "$sdev" -x 1 "$@" > /tmp/perf-server.log 2>&1 &
		sleep 1
		out=$(timeout 600 "$tool" -d "$cdev" -x 1 "$@" "$addr" 2>&1)
		rc=$?
		wait
		# perftest times with the cycle counter, which TCG sometimes makes
		# too irregular to calibrate ("r^2 < 0.9"): that run says nothing.
		grep -q "Correlation coefficient" /tmp/perf-server.log - <<< "$out" || break
		echo "# perftest could not calibrate its clock; running $tool again"
	done
	# Result rows: size, iterations, peak, average, rate.
	rows=$(grep -cE '^[[:space:]]+[0-9]+[[:space:]]+[0-9]+[[:space:]]+[0-9.]+[[:space:]]+[0-9.]+[[:space:]]+[0-9.]+' <<< "$out")
	if [ $rc -eq 0 ] && [ "$rows" -ge "${EXPECT_ROWS:-1}" ]; then
		pass "$name ($rows sizes)"
		grep -E '^ +[0-9]+ +[0-9]+ ' <<< "$out" | awk '{ printf "#   %10s B  %10s MiB/s\n", $1, $4 }' |
			sed -n '1p;$p'
	else
		fail "$name" "exit $rc, $rows result rows" "$(tail -5 <<< "$out")" \
			"server: $(tail -3 /tmp/perf-server.log)"
	fi
}
