/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Whether a caller of the root agent may name path as a realize's
 * pool-dir: the target of a libvirt directory pool, or a directory
 * allowed (with its subfolders) by agent.conf's PoolDirs, an existing
 * directory reached without any symbolic link; else
 * VR_ERROR_ACCESS_DENIED (32769) saying so. dev and ino are the checked
 * directory's, for the realize to open that one and no other (the path
 * may change under a caller's hands in between). Talks to libvirt. */
gboolean vr_pool_dir_check_caller (virConnectPtr conn,
                                   const char *path,
                                   const char *const *allowed,
                                   const char *config_path,
                                   guint64 *dev,
                                   guint64 *ino,
                                   GError **error);

G_END_DECLS
