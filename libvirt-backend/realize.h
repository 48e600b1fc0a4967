/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "copy.h"
#include "handoff.h"
#include "host-caps.h"
#include "planned-system.h"
#include "progress.h"
#include "store.h"

G_BEGIN_DECLS

typedef struct {
  const char *pool;     /* a libvirt directory pool, or NULL */
  const char *pool_dir; /* a plain directory, or NULL */
  VrHandoff handoff;
  gboolean start;       /* start the domain once realized */
  gboolean copy_disks;  /* copy disks inside the import directory too */
  VrCopyFlags copy_flags;
  /* What reaches into the host (VR1801-VR1817) is only a warning: the
   * caller holds the host-access right, or runs in-process as themself.
   * FALSE (the default) refuses it. */
  gboolean host_access_allowed;
  /* As in VrValidateOptions: who asks, when not this process. */
  gboolean caller_known;
  guint caller_uid;
  /* With caller_known: the bytes the agent's per-user limits counted
   * this realize's files as. The domain's tag keeps them with
   * caller_uid, so that the domain counts against its caller for as long
   * as it is defined, whatever becomes of its planned system. */
  guint64 charged_bytes;
  /* With caller_known, when not NULL: each file of the import directory
   * a realize copies into the pool besides the saved state (relpath to
   * a guint64 of bytes), as the per-user limits counted it. A copy
   * refuses a file of another size, or one not counted (sixth review,
   * F4: the user grew it between the count and the copy). Whoever copies
   * the options takes a reference (g_hash_table_ref). */
  GHashTable *counted_sizes;
  /* When pool_ino is not 0, pool_dir must open as that directory: the
   * agent checked it for its caller, and a link put in its path since
   * must not lead the realize's writes elsewhere. */
  guint64 pool_dev;
  guint64 pool_ino;
  /* When not NULL: the import directory as the caller handed it over (a
   * descriptor the agent checked against the import's dev/ino and the
   * caller's rights). The realize reads it from that descriptor and
   * never opens the recorded path, which may now be another folder or
   * none. Whoever copies the options takes a reference
   * (vr_import_dir_ref) and drops it with the copy. */
  VrImportDir *import_dir;
  /* The agent's name of the remote host to realize onto (agent.conf
   * [Hosts]), NULL for its own libvirt: the agent picks the connection by
   * it; the realize itself works on the connection it is given. */
  const char *host;
  /* As in VrValidateOptions: the bridges guests may join. */
  const char *const *bridges;
} VrRealizeOptions;

/* RealizePlannedSystem: lock, validate, copy the saved state into the
 * pool, update the image's host-side details, define the domain, hand the
 * state to libvirt, record the outcome, start if asked. Any failure or
 * cancel (G_IO_ERROR_CANCELLED) undoes what it made; the planned system
 * is then "failed" (or "planned" after a cancel) with the outcome
 * recorded, and can be realized again. */
gboolean vr_realize (VrStore *store,
                     VrHostCaps *caps,
                     virConnectPtr conn,
                     VrPlannedSystem *system,
                     const VrRealizeOptions *options,
                     VrProgress *progress,
                     GCancellable *cancellable,
                     GError **error);

/* After a crash: a planned system left "realizing" by a dead process is
 * put back as "planned" (its leftovers removed, the outcome recorded as
 * interrupted), or "realized" when every step had been done. Needs the
 * planned system's lock; a no-op for any other state. */
gboolean vr_realize_recover (VrStore *store,
                             virConnectPtr conn,
                             VrPlannedSystem *system,
                             GError **error);

/* The XML a realize writes into the save image's copy (what libvirt
 * resumes): planned with the image's own <os> and this host's variable
 * store path for domain name (realize-firmware.c). Validate asks libvirt
 * about the same XML. */
char *vr_image_xml_for (xmlDoc *planned,
                        xmlDoc *image,
                        virConnectPtr conn,
                        const char *name);

G_END_DECLS
