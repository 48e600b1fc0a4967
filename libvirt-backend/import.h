/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "import-dir.h"
#include "planned-system.h"
#include "progress.h"
#include "store.h"

G_BEGIN_DECLS

/* ImportSystemDefinition: registers the checked import directory as a
 * planned system in the store. Copies nothing and writes nothing in DIR.
 * A non-NULL name replaces the domain's name. */
VrPlannedSystem *vr_import (VrStore *store,
                            VrImportDir *dir,
                            const char *name,
                            GError **error);

/* The same with --new-id and --discard-saved-state; with NEW_ID and no
 * name, a name taken by another planned system becomes NAME-2, NAME-3… */
VrPlannedSystem *vr_import_with_flags (VrStore *store,
                                       VrImportDir *dir,
                                       const char *name,
                                       VrImportFlags flags,
                                       GError **error);

/* vr_import_with_flags() once DIR's manifest.xml, when it has one, holds
 * (vr_manifest_verify: every file's size and SHA-256, no file unlisted);
 * progress gets the bytes hashed. vr_import() itself does not verify. */
VrPlannedSystem *vr_import_verified (VrStore *store,
                                     VrImportDir *dir,
                                     const char *name,
                                     VrImportFlags flags,
                                     VrProgress *progress,
                                     GCancellable *cancellable,
                                     GError **error);

/* vr_import_verified() for the agent: author is the caller's uid (the
 * others record the process's), kept with the planned system. */
VrPlannedSystem *vr_import_verified_as (VrStore *store,
                                        VrImportDir *dir,
                                        const char *name,
                                        VrImportFlags flags,
                                        guint author,
                                        VrProgress *progress,
                                        GCancellable *cancellable,
                                        GError **error);

/* The same from a path. */
VrPlannedSystem *vr_import_path (VrStore *store,
                                 const char *path,
                                 const char *name,
                                 GError **error);

G_END_DECLS
