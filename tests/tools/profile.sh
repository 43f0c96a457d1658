#!/bin/bash
# tests/vm/run tests/tools/profile.sh [TOOL [SIZE [MODE [PATH]]]]: sample the
# whole guest with perf (cpu-clock; TCG has no PMU) while one perftest pair
# runs, and print where the time goes, by symbol.  TOOL defaults to
# ib_write_bw, SIZE to 65536, MODE to odp (or pinned), PATH to loopback (or
# 2ns: hodp0 to hodp1 across namespaces).  The raw profile stays in
# build/profile/.
set -u
cd /project
. tests/lib/tap.sh
. tests/lib/netns.sh
. tests/lib/perftest.sh
tool=${1:-ib_write_bw}
size=${2:-65536}
mode=${3:-odp}
path=${4:-loopback}
out=build/profile
mkdir -p $out
args=(-s "$size" -n "${PROFILE_ITERS:-2000}")
[ "$mode" = odp ] && args+=(--odp)

pre="" sdev=hodp0 addr=10.99.0.1
if [ "$path" = 2ns ]; then
	setup_ns1
	pre="ip netns exec ns1" sdev=hodp1 addr=10.99.0.2
fi

perf record -q -a -g -e cpu-clock -F 999 -o $out/perf.data -- \
	bash -c "$(declare -f perftest_pair); perftest_pair '$pre' $sdev hodp0 $addr $tool ${args[*]};
		 echo \"\$perf_out\"" 2>&1 | grep -E '^ +[0-9]+ +[0-9]+ '
echo "# $tool $size B $mode $path: self time by symbol"
perf report -i $out/perf.data --no-children --sort sym --percent-limit 0.7 --stdio 2>/dev/null |
	grep -E '^ +[0-9.]+%' | head -40
echo "# by module"
perf report -i $out/perf.data --no-children --sort dso --stdio 2>/dev/null |
	grep -E '^ +[0-9.]+%' | head -12
