/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Hands back to the kernel what an idle agent holds but does not use: the
 * heap's free tail (malloc_trim) and the pages of read-only file mappings
 * (MADV_PAGEOUT), which start-up touched once (the loader reading symbol
 * tables, libssh setting up OpenSSL, code run once) and which otherwise
 * stay resident until memory runs short. PAGEOUT never changes a byte: the
 * kernel may reclaim the pages, skips those other processes map too, and
 * what the agent needs again faults back in. Returns how many bytes of
 * mappings were advised. */
gsize vr_idle_trim (void);

G_END_DECLS
