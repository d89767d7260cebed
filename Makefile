# SPDX-License-Identifier: GPL-2.0
#
# The vfio <-> kvm KUnit suites.
#
#   make run     build a kernel with the suites and run them in QEMU
#                (KVER=7.3|6.12|6.1, ARCH=x86_64|arm64, KSRC=your tree, KERNEL_PATCHES="a.patch ...",
#                LOCKDEP=y|n, KCSAN=y|n, KVM_MODE=real|auto, RESULTS=file.json, CACHE=dir)
#   make test    the gate CI runs: the matrix's "gate" lines against the
#                expected outcomes (matrix.txt)
#   make matrix  every line of the matrix, the gate's and the rest
#   make test-7.3  the matrix's lines of Linux 7.3 (Debian trixie-backports)
#   make test-fixes  module-check with the project's vendor-module patch
#                (a demonstration: KVM reverted that approach once)
#   make mutants the revert and the mutants of the fix against plain 6.12
#                (a mutant of the cdev fix against 6.12 with that fix)
#   make soak    boot one kernel SOAK times (30), the outcome of each case
#                in each run (the make run variables apply)
#   make module-check  the suites as modules, loaded and unloaded 21 times
#                (BASE_CONFIG=debian: in Debian's own configuration as a
#                debug kernel)
#   make quick   the edit loop: rebuild only the suites' module and run it
#                in module-check's kernel (KVER=7.3; BOOTS=, as make run)
#   make series  the cdev fix (a mail of its own, to vfio) and the suites
#                (a series that names it as its base) against a pristine 7.3 tree
#                (KVER=, KSRC=), signed off by git's user.name/user.email,
#                with the checks upstream makes (series/report.txt)
#   make kconfig-check  the project's Kconfig (its one entry point, ./Kconfig)
#                checked with the scripts/kconfig of each kernel (KVERS=)
#   make costs   what each configuration in the cache costs to build (costs.sh)
#   make kernelci  the KernelCI job with KernelCI's own code (KERNELCI_PIPELINE=, KERNELCI_CORE=, KERNELCI_DASHBOARD=)
#   make module  out-of-tree build of the modules against KDIR (Kbuild)
#   make clean-cache   remove the cache (sources, build trees, ccache)

KDIR ?= /lib/modules/$(shell uname -r)/build
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vfio-kvm-kunit
# the runner's settings, passed on when given (an empty ARCH would reach
# Kbuild in make module and name no architecture)
VKT_SETTINGS := REPEAT KVER KVERS ARCH KSRC KERNEL_PATCHES LOCKDEP KCSAN BASE_CONFIG TCG KVM_MODE RESULTS BOOTS MATRIX MATRIX_SETS MATRIX_KERNELS
export CACHE $(foreach v,$(VKT_SETTINGS),$(if $(filter-out undefined,$(origin $(v))),$(v)))

TOOLS := tools/testing/vfio_kvm

.PHONY: run quick costs kernelci test matrix test-7.3 test-fixes mutants soak module-check series kconfig-check module module-clean clean-cache

run:
	@$(TOOLS)/run.sh

test:
	@MATRIX_SETS=gate $(TOOLS)/matrix.sh

matrix:
	@MATRIX_SETS="gate full" $(TOOLS)/matrix.sh

test-fixes:
	@MATRIX_SETS=fixes $(TOOLS)/matrix.sh

test-7.3:
	@MATRIX_KERNELS=7.3 MATRIX_SETS="gate full" $(TOOLS)/matrix.sh

soak:
	@SOAK=$(or $(SOAK),30) $(TOOLS)/run.sh

mutants:
	@MATRIX="6.12 upstream-cdev-fix $$(awk '$$5 == "killed" || $$5 == "rejected" {print $$1}' $(TOOLS)/matrix.txt)" \
		MATRIX_KERNELS=6.12 $(TOOLS)/matrix.sh

module-check:
	@$(TOOLS)/module-check.sh

quick:
	@$(TOOLS)/quick.sh

series:
	@$(TOOLS)/series/series.sh

kconfig-check:
	@$(TOOLS)/kconfig-check.sh

costs:
	@$(TOOLS)/costs.sh

kernelci:
	@$(TOOLS)/kernelci/kernelci.sh

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

module-clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

clean-cache:
	rm -rf "$(CACHE)"
