# hodp — top-level entry point.  Everything runs as root on a Debian 12/13 host;
# the kernel parts are built for, and tested in, a QEMU guest (tests/vm/).
#
#   make           build hodp.ko, the provider and userspace for the guest
#   make demo      boot a guest and show hodp at work
#   make check     run every test suite (ends with "N passed, N failed, N skipped")
#   make bench     measure hodp next to rxe and memcpy; table, docs/bench/, plots
#   make stress    ODP under fire: memory churn, teardown races, the verbs fuzzer
#   make check-debug  every suite and make stress on a KASAN/lockdep/kmemleak
#                  build of the guest kernel (built once, about an hour)
#   make shell     interactive shell in a fresh guest with hodp0 up
#   make image     build (or reuse) the cached guest image and rdma-core tree
#   make lint      W=1 + sparse build and checkpatch --strict of the kernel code
#   make deb       the Debian packages hodp-dkms and ibverbs-providers-hodp, in build/deb/
#   make clean     remove build/ and the module's Kbuild output
#   make distclean clean, and drop the cache ($(HODP_CACHE))

HODP_CACHE ?= /var/cache/hodp
export HODP_CACHE

all: build

lint:
	tests/vm/lint
	tests/tools/layers > /dev/null

build:
	tests/vm/build

deb:
	tests/vm/deb

image:
	tests/vm/image

check:
	tests/check $(SUITES)

bench:
	tests/bench/bench

stress:
	tests/check tests/stress/*.sh

# The guest suites and the stress suites; tests/host/ tests the harness, not
# the kernel.  SUITES narrows it as for make check.
check-debug:
	HODP_VM_KERNEL=debug tests/check $(or $(SUITES),tests/suites/*.sh tests/stress/*.sh)

demo: build
	HODP_NO_BUILD=1 tests/vm/run userspace/demo.sh

shell: build
	HODP_NO_BUILD=1 tests/vm/run -i

clean:
	rm -rf build
	cd kernel && rm -rf *.o *.ko *.mod *.mod.c .*.cmd *.order *.symvers .module-common.o

distclean: clean
	rm -rf $(HODP_CACHE)

.PHONY: all lint build deb image check bench stress check-debug demo shell clean distclean
