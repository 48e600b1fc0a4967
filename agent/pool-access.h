/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <sys/types.h>

G_BEGIN_DECLS

/* Whether the caller uid of the root agent may name path as a realize's
 * pool-dir: the target of a libvirt directory pool or a folder listed in
 * agent.conf's PoolDirs, exactly; or a folder below a PoolDirs folder
 * that the caller could search their way to and write themselves
 * (checked on each descriptor, honouring ACLs); every folder reached
 * without a symbolic link. Else VR_ERROR_ACCESS_DENIED (32769), the same
 * message for every refusal (whether a path exists is not told), and
 * nothing outside the allowed folders is looked up before the strings
 * are compared. dev and ino are the checked directory's, for the realize
 * to open that one and no other (the path may change under a caller's
 * hands in between). Talks to libvirt. */
gboolean vr_pool_dir_check_caller (virConnectPtr conn,
                                   const char *path,
                                   uid_t uid,
                                   const char *const *allowed,
                                   const char *config_path,
                                   guint64 *dev,
                                   guint64 *ino,
                                   GError **error);

G_END_DECLS
