# Shared settings and helpers for the hodp guest harness.  Sourced, not run.
#
# Everything big (the guest root file system, the rdma-core build tree) lives in
# $HODP_CACHE, outside the clone, under a name derived from what it contains, so a
# warm run reuses it and a change of contents builds a fresh one beside it.

set -euo pipefail

HODP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HODP_CACHE=${HODP_CACHE:-/var/cache/hodp}
HODP_BUILD=$HODP_TOP/build
RDMA_CORE_VERSION=56.1

# Packages of the guest: kernel and headers from trixie-backports, the RDMA user
# stack, what building the module, the provider and the packages needs, what
# building the debug kernel (tests/vm/debug-kernel) and pyverbs of another
# rdma-core release (tests/vm/rdma-core-next) need, and the clients people run
# over RDMA (tests/suites/clients.sh).
GUEST_PACKAGES=(
	linux-image-amd64/trixie-backports linux-headers-amd64/trixie-backports
	rdma-core ibverbs-providers ibverbs-utils python3-pyverbs perftest rdmacm-utils
	iproute2 kmod busybox python3 gcc make libc6-dev libibverbs-dev cmake pkg-config
	libnl-3-dev libnl-route-3-dev udev procps dpkg-dev ethtool iputils-ping sparse
	linux-perf/trixie-backports
	bc bison flex libelf-dev libssl-dev zstd
	build-essential debhelper dh-dkms dkms fakeroot
	cython3 python3-dev
	ucx-utils openmpi-bin libopenmpi-dev libfabric-bin qperf tshark tcpdump
)

log() { printf '[hodp-vm] %s\n' "$*" >&2; }
die() { printf '[hodp-vm] error: %s\n' "$*" >&2; exit 1; }

# Install what the host needs, only when something is missing.
host_deps() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx switch_root ||
		need+=(busybox-static)
	command -v cpio >/dev/null || need+=(cpio)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v zstd >/dev/null || need+=(zstd)
	command -v unshare >/dev/null || need+=(util-linux)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "need root to install: ${need[*]}"
	log "installing host packages: ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${need[@]}" >&2
}

# The mirror addresses come from the host's own apt configuration.
apt_uri() {
	local want=$1 files
	files=$(ls /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -n "$files" ]; then
		# deb822: pair each stanza's URIs with its Suites.
		awk -v want="$want" '
			/^URIs:/ { uri = $2 }
			/^Suites:/ { sec = ($0 ~ /-security/) }
			/^$/ { if (uri != "" && sec == want) { print uri; exit } uri = ""; sec = 0 }
			END { if (uri != "" && sec == want) print uri }' $files | head -n1
	fi
	if [ -f /etc/apt/sources.list ]; then
		awk -v want="$want" '$1 == "deb" {
			s = ($0 ~ /-security/); if (s == want) { print $2; exit } }' \
			/etc/apt/sources.list | head -n1
	fi
}

guest_sources() {
	local main sec
	main=$(apt_uri 0 | head -n1)
	sec=$(apt_uri 1 | head -n1)
	[ -n "$main" ] || die "no Debian mirror found in the host's apt configuration"
	[ -n "$sec" ] || sec=${main%/debian}/debian-security
	cat <<-SRC
	deb $main trixie main
	deb $main trixie-updates main
	deb $main trixie-backports main
	deb $sec trixie-security main
	deb-src $main trixie main
	SRC
}

# Key of the root file system: its package list and the code that makes it.
rootfs_key() {
	{ printf '%s\n' "${GUEST_PACKAGES[@]}"; cat "$HODP_TOP/tests/vm/image"; } |
		sha256sum | cut -c1-12
}

ROOTFS=$HODP_CACHE/rootfs-$(rootfs_key)
RDMA_CORE=$HODP_CACHE/rdma-core-$RDMA_CORE_VERSION-$(rootfs_key)

# The newest rdma-core release (unstable's).  With HODP_RDMA_CORE set to it,
# its tree, built in place with pyverbs, is the guest's user stack instead of
# the image's: libibverbs and the providers (hodp's among them, built from
# this checkout), pyverbs and its tests.
RDMA_CORE_NEXT_VERSION=65.0
RDMA_CORE_NEXT=$HODP_CACHE/rdma-core-$RDMA_CORE_NEXT_VERSION-$(rootfs_key)
rdma_core_next() {
	case ${HODP_RDMA_CORE:-$RDMA_CORE_VERSION} in
	"$RDMA_CORE_VERSION") return 1 ;;
	"$RDMA_CORE_NEXT_VERSION") return 0 ;;
	*) die "HODP_RDMA_CORE=$HODP_RDMA_CORE: $RDMA_CORE_VERSION (the image's) or $RDMA_CORE_NEXT_VERSION" ;;
	esac
}
# The debug kernel (tests/vm/debug-kernel): keyed by its config; it records
# the guest kernel it was built for and is rebuilt when that changes.
HODP_KDEBUG=$HODP_CACHE/kernel-debug-$(cat "$HODP_TOP"/tests/vm/debug{.config,-modules} |
	sha256sum | cut -c1-12)

# The image's kernels: the newest (trixie-backports), which build/guest/ is
# for, or with an argument MAJOR.MINOR another one (6.12: trixie's own).
guest_kver() {
	local d
	d=$(ls -d "$ROOTFS"/lib/modules/"${1:+$1.}"*/ 2>/dev/null | sort -V | tail -n1)
	[ -n "$d" ] || die "no kernel ${1:-}${1:+ }in $ROOTFS"
	basename "$d"
}

# MAJOR.MINOR of each of the image's kernels, newest (the default) first.
image_kernels() {
	ls "$ROOTFS/lib/modules" | sort -rV | cut -d. -f1,2 | uniq
}

# HODP_VM_KERNEL=MAJOR.MINOR names one of the image's kernels.
alt_kernel() {
	[[ ${HODP_VM_KERNEL:-} =~ ^[0-9]+\.[0-9]+$ ]]
}

# Release of the debug kernel, once built.
debug_kver() {
	local d
	d=$(ls -d "$HODP_KDEBUG"/modules/lib/modules/*/ 2>/dev/null | head -n1)
	[ -n "$d" ] || die "no debug kernel in $HODP_KDEBUG (tests/vm/debug-kernel builds it)"
	basename "$d"
}

# Run a command in the build chroot: proc mounted (objtool needs it), the project
# at /project, the rdma-core trees at /opt/rdma-core and /opt/rdma-core-next
# (the same paths in a guest: the latter is built to run in place) and the
# debug kernel's directory at /opt/kernel-debug, all in a private mount
# namespace so nothing stays mounted when it returns.
in_chroot() {
	mkdir -p "$ROOTFS/project" "$ROOTFS/opt/rdma-core" "$RDMA_CORE" \
		"$ROOTFS/opt/rdma-core-next" "$ROOTFS/opt/kernel-debug"
	unshare --mount --propagation private -- bash -c '
		set -e
		root=$1 top=$2 rc=$3 kd=$4 rcn=$5; shift 5
		mount -t proc proc "$root/proc"
		mount --bind "$top" "$root/project"
		mount --bind "$rc" "$root/opt/rdma-core"
		if [ -d "$rcn" ]; then
			mount --bind "$rcn" "$root/opt/rdma-core-next"
		fi
		if [ -d "$kd" ]; then
			mount --bind "$kd" "$root/opt/kernel-debug"
		fi
		mount --bind /dev "$root/dev"
		cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"' _ "$ROOTFS" "$HODP_TOP" "$RDMA_CORE" "$HODP_KDEBUG" \
		"$RDMA_CORE_NEXT" "$@"
}
