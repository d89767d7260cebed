/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kzalloc_obj() and kvzalloc_obj(), as the suites and the KUnit helpers use
 * them, for kernels that do not have them (6.12 and older).  Not part of the
 * suites: the runner includes it before their files (-include) in such a
 * tree only.
 */
#ifndef _VKT_SLAB_OBJ_H
#define _VKT_SLAB_OBJ_H

#include <linux/slab.h>

#ifndef kzalloc_obj
#define kzalloc_obj(P, gfp)	((typeof(P) *)kzalloc(sizeof(P), gfp))
#define kvzalloc_obj(P, gfp)	((typeof(P) *)kvzalloc(sizeof(P), gfp))
#endif

#endif /* _VKT_SLAB_OBJ_H */
