#!/bin/bash
# hodp installed as a user installs it, on the stock image (tests/check boots
# this with HODP_VM_STOCK=1: nothing of hodp in the guest): the two packages
# of make deb with apt, DKMS building hodp.ko for the running kernel; the
# data-path, odp and pyverbs suites against what was installed; then a purge
# that leaves nothing of hodp behind.
. "$(dirname "$0")/../lib/tap.sh"
. tests/vm/guest-lib.sh
kver=$(uname -r)
libdir=/usr/lib/x86_64-linux-gnu/libibverbs
export DEBIAN_FRONTEND=noninteractive

# comment CMD...: CMD's output as TAP comments, for the log.
comment() { "$@" 2>&1 | sed 's/^/# /'; }

# nothing_of_hodp: no module, DKMS tree, source, provider or package left.
nothing_of_hodp() {
	local left
	left=$(find /lib/modules /usr/src /var/lib/dkms "$libdir" /etc/libibverbs.d \
		/etc/modules-load.d /etc/modprobe.d -iname '*hodp*' 2>/dev/null)
	left+=$(grep -l hodp /lib/modules/"$kver"/modules.dep 2>/dev/null)
	left+=$(dpkg-query -W -f '${Package} ${Status}\n' '*hodp*' 2>/dev/null |
		grep -v not-installed)
	[ -z "$left" ] || { echo "$left"; return 1; }
}

debs=(build/deb/hodp-dkms_*_all.deb build/deb/ibverbs-providers-hodp_*_amd64.deb)
for d in "${debs[@]}"; do
	[ -f "$d" ] || { fail "the packages of make deb are in build/deb/" "$d is missing"; exit 1; }
done
check "nothing of hodp before the install" nothing_of_hodp

# apt resolves the packages' dependencies from what the image has (the
# guest has no network).
if out=$(apt-get install -y "${debs[@]/#/./}" 2>&1); then
	pass "apt install of ${debs[*]##*/}"
else
	fail "apt install of ${debs[*]##*/}" "$out"
	exit 1
fi
comment echo "$out"
comment dkms status
check "DKMS built and installed hodp for the running kernel $kver" \
	bash -c "dkms status hodp | grep -F ', $kver, x86_64: installed'"
check "modprobe finds DKMS's hodp.ko" \
	bash -c "modinfo -n hodp | grep -qx '/lib/modules/$kver/updates/dkms/hodp.ko.*'"
check "the provider is the package's" \
	bash -c "dpkg -S $libdir/libhodp-rdmav34.so /etc/libibverbs.d/hodp.driver"
check "modprobe hodp" modprobe hodp
check "rdma link add hodp0 type hodp netdev veth0" hodp0_up
comment ibv_devinfo -d hodp0
check "ibv_devinfo -d hodp0: port active" \
	bash -c "ibv_devinfo -d hodp0 | grep -q PORT_ACTIVE"

# Each suite on a fresh network (the suites expect the guest-init one).
for suite in data-path odp pyverbs-device pyverbs-verbs; do
	echo "# suite $suite"
	bash tests/suites/$suite.sh
	ip netns del ns1 2>/dev/null
	ip link del veth0 2>/dev/null
	wait_for 10 bash -c '! rdma link show | grep -q hodp'
	hodp0_up > /dev/null || { fail "hodp0 back up after $suite"; exit 1; }
done

ip link del veth0
wait_for 10 bash -c '! rdma link show | grep -q hodp'
check "modprobe -r hodp" modprobe -r hodp
if out=$(apt-get purge -y hodp-dkms ibverbs-providers-hodp 2>&1); then
	pass "apt purge hodp-dkms ibverbs-providers-hodp"
else
	fail "apt purge hodp-dkms ibverbs-providers-hodp" "$out"
fi
comment echo "$out"
check "nothing of hodp after the purge" nothing_of_hodp
check "no hodp device after the purge" bash -c "! ibv_devices | grep -q hodp"
