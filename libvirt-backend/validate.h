/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "findings.h"
#include "host-caps.h"
#include "import-dir.h"
#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

/* The UUID (newly allocated) of the planned system named name, or NULL:
 * a long-lived caller's index of the store's names, called from the
 * validating thread. */
typedef char *(*VrPlannedNameFunc) (const char *name, gpointer data);

/* How a validation is run; all-zero (or NULL) is the agent's strictest. */
typedef struct {
  /* FALSE: what reaches into the host (VR1801-VR1817) is an error, as
   * through the agent for a caller without the host-access right; TRUE: a
   * warning (a root user's in-process run, or a caller who holds it). */
  gboolean host_access_allowed;
  /* Who asks, when caller_known (the agent's bus caller); else this
   * process's uid. host_access_allowed holds only for a planned XML that
   * root or the caller wrote (vr_planned_system_author_may_reach_host). */
  gboolean caller_known;
  guint caller_uid;
  /* The directory the realize copies into (another guest's data for the
   * planned XML); NULL when unknown. */
  const char *pool_dir;
  /* The libvirt pool a realize onto a remote connection uploads into
   * (--pool); NULL: "default". */
  const char *pool;
  /* The planned system's import directory as the caller handed it over
   * (borrowed); NULL: opened by its recorded path. */
  VrImportDir *import_dir;
  /* With it, the check for another planned system of the same name or
   * UUID reads only the records it names (the UUID's folder, the name's
   * owner) instead of every record: the agent keeps the names. */
  VrPlannedNameFunc planned_by_name;
  gpointer planned_by_name_data;
  /* Host bridges an <interface type='bridge'> may join besides libvirt
   * networks' (agent.conf's Bridges); NULL: none (VR1813). */
  const char *const *bridges;
  /* Cancelled when the caller is gone (the agent): long searches stop
   * early (borrowed; may be NULL). */
  GCancellable *cancellable;
} VrValidateOptions;

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

/* The same three with options. The ones above run as a caller
 * in-process with their own rights: host access allowed (warnings). */
GPtrArray *vr_validate_planned_with (VrHostCaps *caps,
                                     VrStore *store,
                                     VrPlannedSystem *system,
                                     const VrValidateOptions *options,
                                     GError **error);
GPtrArray *vr_validate_import_dir_with (VrHostCaps *caps,
                                        VrStore *store,
                                        VrImportDir *dir,
                                        const VrValidateOptions *options,
                                        GError **error);
GPtrArray *vr_validate_file_with (VrHostCaps *caps,
                                  VrStore *store,
                                  const char *path,
                                  const VrValidateOptions *options,
                                  GError **error);

/* Only the host-access findings (VR1801-VR1817) of a planned system: its
 * planned XML and its save image's XML. The agent asks for the
 * host-access right when there are any. */
/* The same for a domain XML file read from fd (a regular file a caller
 * opened), named display_name in the findings; with no directory beside
 * it, relative disk paths are not looked up. */
GPtrArray *vr_validate_file_fd_with (VrHostCaps *caps,
                                     VrStore *store,
                                     int fd,
                                     const char *display_name,
                                     const VrValidateOptions *options,
                                     GError **error);

GPtrArray *vr_validate_host_access (VrHostCaps *caps,
                                    VrPlannedSystem *system,
                                    const VrValidateOptions *options,
                                    GError **error);

/* Starts loading libvirt's domain schema on a thread, so that a caller
 * about to connect to libvirt does both at once. Optional: validation
 * loads it itself when it is not loaded. */
void vr_validate_preload (void);

/* How many times this process ran libvirt's schema on a document: tests
 * bound the work one validation may cost with it. */
guint vr_validate_schema_runs (void);

G_END_DECLS
