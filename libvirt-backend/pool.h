/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* The pool libvirt's "default" pool stands for, where there is a storage
 * driver; embedded connections have none and get a directory in their
 * root instead. */
#define VR_POOL_DEFAULT "default"

/* The directory a realize copies into: the target path of the libvirt
 * directory pool named pool, or pool_dir, or the connection's default.
 * The directory is created when it is a default that does not exist yet. */
char *vr_pool_resolve_dir (virConnectPtr conn,
                           const char *pool,
                           const char *pool_dir,
                           GError **error);

/* Tells libvirt the pool's files changed (a no-op without a pool). */
void vr_pool_refresh (virConnectPtr conn, const char *pool);

G_END_DECLS
