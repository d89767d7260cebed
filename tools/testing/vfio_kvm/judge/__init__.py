# SPDX-License-Identifier: GPL-2.0
#
# The judge of the vfio <-> kvm suites, by job; vkt_results.py is its
# entry point.  Imports go one way: reports <- ktap <- record <- expect <-
# modules; coverage stands alone.  judge_test.py tests them on a few
# lines each.
