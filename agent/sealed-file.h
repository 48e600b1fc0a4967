/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A memfd holding exactly size bytes of data, sealed against any change
 * (write, shrink, grow, further seals), to hand to a client that maps it:
 * nobody can change or truncate it under the reader's mapping. Closed by
 * its owner; nothing outlives the process. -1 with error when the kernel
 * refuses. */
int vr_sealed_file_new (const char *name,
                        const void *data,
                        gsize size,
                        GError **error);

G_END_DECLS
