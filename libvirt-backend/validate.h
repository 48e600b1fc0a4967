/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "findings.h"
#include "host-caps.h"
#include "import-dir.h"
#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

/* ValidatePlannedSystem / Compare-VM: checks a domain XML (with its saved
 * state and the files it names) against the host behind caps, and returns
 * what does not fit as an array of VrFinding (freed with the array). NULL
 * with error only when validation could not run at all. Nothing is
 * written anywhere. Safe to call from several threads at once. */
GPtrArray *vr_validate_planned (VrHostCaps *caps,
                                VrStore *store,
                                VrPlannedSystem *system,
                                GError **error);

/* The same for an import directory that is not (or not yet) a planned
 * system: its domain.xml, its save image and its disks. */
GPtrArray *vr_validate_import_dir (VrHostCaps *caps,
                                   VrStore *store,
                                   VrImportDir *dir,
                                   GError **error);

/* The same for a bare domain XML file (no saved state); relative disk
 * paths are taken inside the file's directory. */
GPtrArray *vr_validate_file (VrHostCaps *caps,
                             VrStore *store,
                             const char *path,
                             GError **error);

/* Starts loading libvirt's domain schema on a thread, so that a caller
 * about to connect to libvirt does both at once. Optional: validation
 * loads it itself when it is not loaded. */
void vr_validate_preload (void);

G_END_DECLS
