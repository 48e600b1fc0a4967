/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "model.h"

G_BEGIN_DECLS

/* The one interface every command is written against. Two
 * implementations: the agent on the bus (transport-dbus.c, in
 * virt-realize) and the backend in this process (transport-direct.c, in
 * virt-realize-direct). Each returns the model objects of model.h, so that
 * output is formatted once (commands.c, output.c). A method a transport
 * cannot offer is NULL: the thin client then runs the command in
 * virt-realize-direct (edit, export), or it fails with NotAvailable (jobs
 * without an agent). Errors are VR_ERROR. */

typedef struct _VrCliTransport VrCliTransport;

typedef struct {
  const char *dir;
  const char *name;         /* NULL: the domain's */
  gboolean new_id;
  gboolean discard_saved_state;
  gboolean show_progress;   /* a bar while the manifest's files are hashed */
} VrCliImportRequest;

typedef struct {
  const char *pool;
  const char *pool_dir;
  const char *handoff;      /* NULL: auto */
  gboolean start;
  gboolean copy_disks;
  const char *uri;          /* NULL: the transport's own connection */
} VrCliRealizeRequest;

typedef struct {
  const char *domain;
  const char *dir;
  gboolean save;
  gboolean with_disks;
} VrCliExportRequest;

typedef struct {
  const char *xml_file;     /* or sets/removes */
  const char *const *sets;
  const char *const *removes;
} VrCliEditRequest;

/* Called on the main loop while a job runs (at most ten times a second). */
typedef void (*VrCliJobChanged) (const VrCliJob *job, gpointer user_data);

typedef struct {
  const char *name; /* "agent", "direct" */
  void (*free) (VrCliTransport *self);
  /* Sorted by name; the summary fields at least (name, uuid, state,
   * has_saved_state, domain). */
  GPtrArray *(*list) (VrCliTransport *self, GError **error);
  VrCliSystem *(*lookup) (VrCliTransport *self, const char *key,
                          GError **error);
  char *(*get_xml) (VrCliTransport *self, const char *key, GError **error);
  /* show: asks libvirt whether system's domain is still defined (on the
   * transport's own connection, when system was realized there) and sets
   * system->domain_presence. */
  gboolean (*check_domain) (VrCliTransport *self, VrCliSystem *system,
                            GError **error);
  VrCliSystem *(*import) (VrCliTransport *self,
                          const VrCliImportRequest *request, GError **error);
  /* Returns what it forgot. */
  VrCliSystem *(*destroy) (VrCliTransport *self, const char *key,
                           GError **error);
  /* A planned system's name or UUID, an import directory or a file. */
  VrCliValidation *(*validate) (VrCliTransport *self, const char *arg,
                                GError **error);
  VrCliSystem *(*edit) (VrCliTransport *self, const char *key,
                        const VrCliEditRequest *request, GError **error);
  /* --host: how key fits each of hosts (VrCliPlacement, in that order,
   * the one realize would take marked chosen). */
  GPtrArray *(*place) (VrCliTransport *self, const char *key,
                       const char *const *hosts, gboolean copy_disks,
                       GError **error);
  /* Start a job; its id. */
  char *(*realize) (VrCliTransport *self, const char *key,
                    const VrCliRealizeRequest *request, GError **error);
  char *(*export_domain) (VrCliTransport *self,
                          const VrCliExportRequest *request, GError **error);
  VrCliExport *(*export_result) (VrCliTransport *self, const char *id);
  /* Jobs. */
  GPtrArray *(*jobs) (VrCliTransport *self, GError **error);
  VrCliJob *(*job) (VrCliTransport *self, const char *id, GError **error);
  gboolean (*cancel) (VrCliTransport *self, const char *id, GError **error);
  /* Runs the main loop until the job ends, calling changed on progress;
   * interrupted (Ctrl-C) cancels it and still waits for its rollback. */
  void (*wait) (VrCliTransport *self, const char *id,
                GCancellable *interrupted, VrCliJobChanged changed,
                gpointer user_data);
} VrCliTransportClass;

struct _VrCliTransport {
  const VrCliTransportClass *klass;
};

void vr_cli_transport_free (VrCliTransport *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliTransport, vr_cli_transport_free)

G_END_DECLS
