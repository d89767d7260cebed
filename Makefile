# SPDX-License-Identifier: GPL-2.0
#
# The vfio <-> kvm KUnit suites.
#
#   make run     build a kernel with the suites and run them in QEMU
#                (KVER=6.12|6.1, KSRC=your tree, KERNEL_PATCHES="a.patch ...",
#                LOCKDEP=y|n, KVM_MODE=real|auto|fake, RESULTS=file.json, CACHE=dir)
#   make test    the acceptance matrix against the expected outcomes (CI)
#   make clean-cache   remove the cache (sources, build trees, ccache)

CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vfio-kvm-kunit
export CACHE KVER KSRC KERNEL_PATCHES LOCKDEP KVM_MODE RESULTS BOOTS MATRIX

TOOLS := tools/testing/vfio_kvm

.PHONY: run test clean-cache

run:
	@$(TOOLS)/run.sh

test:
	@$(TOOLS)/matrix.sh

clean-cache:
	rm -rf "$(CACHE)"
