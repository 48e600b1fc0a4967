/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "copy.h"

G_BEGIN_DECLS

/* How a saved state in the pool becomes the domain's managed save
 * (docs/libvirt-handoff.md has the measurements behind this). */
typedef enum {
  /* LINK where the connection is local and its save directory is ours to
   * write, else MANAGED_SAVE. */
  VR_HANDOFF_AUTO,
  /* The pool file becomes <saveDir>/<name>.save (a hard link, or a copy
   * across filesystems): no extra I/O, virDomainCreate restores from it;
   * libvirt's "managed save" flag shows only after its next start. */
  VR_HANDOFF_LINK,
  /* virDomainRestoreFlags(PAUSED) then virDomainManagedSave: libvirt owns
   * the state and reports it at once; costs reading the image, loading the
   * guest's memory and writing the image again. */
  VR_HANDOFF_MANAGED_SAVE,
} VrHandoff;

const char *vr_handoff_to_string (VrHandoff handoff);
gboolean vr_handoff_from_string (const char *text, VrHandoff *handoff);

/* The QEMU driver's managed-save directory for a local connection
 * (embedded, system or session), or NULL when the connection is not one. */
char *vr_handoff_save_dir (virConnectPtr conn);

/* AUTO resolved for this connection. */
VrHandoff vr_handoff_resolve (virConnectPtr conn, VrHandoff handoff);

/* The managed-save file a LINK hand-off makes for domain name. */
char *vr_handoff_managed_save_path (virConnectPtr conn, const char *name);

/* LINK: makes pool_dir_fd/pool_name the managed save save_dir_fd/save_name
 * (the domain's "NAME.save", vr_handoff_managed_save_path): a hard link, or
 * across filesystems a copy (extra tracks it); never replaces a file that
 * is there already, and syncs the save directory. */
gboolean vr_handoff_link (int pool_dir_fd,
                          const char *pool_name,
                          int save_dir_fd,
                          const char *save_name,
                          const VrCopyExtra *extra,
                          GCancellable *cancellable,
                          GError **error);

/* MANAGED_SAVE: restores pool_file paused into dom (defined from xml) and
 * managed-saves it, running or paused as the image said. */
gboolean vr_handoff_managed_save (virConnectPtr conn,
                                  virDomainPtr dom,
                                  const char *pool_file,
                                  const char *xml,
                                  gboolean was_running,
                                  GError **error);

G_END_DECLS
