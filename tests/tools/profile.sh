#!/bin/bash
# tests/vm/run tests/tools/profile.sh [TOOL [SIZE [MODE [PATH]]]]: sample the
# whole guest with perf (cpu-clock; TCG has no PMU) while one perftest pair
# runs, and print where the time goes, by symbol.  TOOL defaults to
# ib_write_bw, SIZE to 65536, MODE to odp (or pinned), PATH to loopback (or
# 2ns: hodp0 to hodp1 across namespaces).  perf cannot write its data file
# to the 9p root, so it lives in the guest's /tmp.
set -u
cd /project
. tests/lib/tap.sh
. tests/lib/netns.sh
tool=${1:-ib_write_bw}
size=${2:-65536}
mode=${3:-odp}
path=${4:-loopback}
data=/tmp/perf.data
args=(-s "$size" -D "${PROFILE_SECONDS:-8}")
[ "$mode" = odp ] && args+=(--odp)

pre="" sdev=hodp0 addr=10.99.0.1
if [ "$path" = 2ns ]; then
	setup_ns1
	pre="ip netns exec ns1" sdev=hodp1 addr=10.99.0.2
fi

$pre $tool -d $sdev -x 1 "${args[@]}" > /tmp/perf-server.log 2>&1 &
sleep 1
perf record -q -a -g -e cpu-clock -F 999 -o $data -- \
	$tool -d hodp0 -x 1 "${args[@]}" $addr 2>&1 | grep -E '^ +[0-9]+ +[0-9]+ '
wait
echo "# $tool $size B $mode $path: self time by symbol"
perf report -i $data --no-children --sort sym --percent-limit 0.7 --stdio 2>/dev/null |
	grep -E '^ +[0-9.]+%' | head -40
echo "# by module"
perf report -i $data --no-children --sort dso --stdio 2>/dev/null |
	grep -E '^ +[0-9.]+%' | head -12
echo "# by task"
perf report -i $data --no-children --sort comm --stdio 2>/dev/null |
	grep -E '^ +[0-9.]+%' | head -8
