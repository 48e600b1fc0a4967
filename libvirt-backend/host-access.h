/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "findings.h"

G_BEGIN_DECLS

/* The host-access policy: what in a domain XML would give whoever
 * defines it more of the host than a guest of its own needs (QEMU
 * passthrough, security-label overrides, host devices, host paths outside
 * the places a realize makes or carries, foreign emulators, interface
 * scripts). The agent runs as root: through it each is an error unless
 * the caller holds the host-access right; a root user's in-process run
 * gets warnings. Checked on the planned XML and on the save image's own
 * XML, since either may be what libvirt acts on. */

typedef struct {
  /* Absolute directories under which host paths are fine: the pool,
   * libvirt's image and NVRAM directories, the import directory. */
  const char *const *allowed_dirs;
  /* Directories firmware, kernels and ROMs may come from; NULL for the
   * distribution's defaults (vr_host_access_firmware_dirs). */
  const char *const *firmware_dirs;
  /* The emulators the host's capabilities list; NULL when unknown (the
   * emulator is then not checked). */
  const char *const *emulators;
  /* A path libvirt's storage knows as a volume is fine too; may be NULL. */
  gboolean (*is_volume) (const char *path, gpointer data);
  gpointer data;
  /* What each finding is: VR_SEVERITY_ERROR through the agent, else a
   * warning. */
  VrSeverity severity;
  /* Prefixed to each message, e.g. "the save image's XML: "; may be
   * NULL. */
  const char *what;
} VrHostAccessPolicy;

/* The directories firmware and boot files may come from when the policy
 * names none (Debian's ovmf, seabios, qemu, ipxe, edk2 packages). */
const char *const *vr_host_access_firmware_dirs (void);

/* Adds one finding (VR18xx) per construct in doc that reaches the host
 * beyond the policy. */
void vr_host_access_check (xmlDoc *doc,
                           const VrHostAccessPolicy *policy,
                           GPtrArray *findings);

/* TRUE when path (absolute) lies inside one of dirs once ".." and
 * symbolic links are resolved, and is no block or character device. */
gboolean vr_host_access_path_inside (const char *path,
                                     const char *const *dirs);

G_END_DECLS
