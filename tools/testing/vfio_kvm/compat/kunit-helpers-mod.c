// SPDX-License-Identifier: GPL-2.0
/*
 * The KUnit helpers as a module of their own, for an out-of-tree build
 * against a kernel whose KUnit lacks them (Kbuild at the top of this
 * repository).  In a kernel tree they are part of kunit.o.
 */
#include <linux/module.h>

MODULE_DESCRIPTION("KUnit threads with a deadline and kernel report capture");
MODULE_LICENSE("GPL");
