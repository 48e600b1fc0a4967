/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-job.h"

typedef struct {
  VrStore *store;
  VrHostCaps *caps;
  virConnectPtr conn;
  VrPlannedSystem *system;
  VrRealizeOptions options;
  char *pool;
  char *pool_dir;
  char **bridges;
} RealizeWork;

static void
realize_work_free (gpointer data)
{
  RealizeWork *work = data;

  g_object_unref (work->store);
  g_object_unref (work->caps);
  virConnectClose (work->conn);
  g_object_unref (work->system);
  g_free (work->pool);
  g_free (work->pool_dir);
  vr_import_dir_free (work->options.import_dir);
  g_clear_pointer (&work->options.counted_sizes, g_hash_table_unref);
  g_strfreev (work->bridges);
  g_free (work);
}

static gboolean
run_realize (VrJob *job, VrProgress *progress, GCancellable *cancellable,
             gpointer data, GError **error)
{
  RealizeWork *work = data;

  return vr_realize (work->store, work->caps, work->conn, work->system,
                     &work->options, progress, cancellable, error);
}

VrJob *
vr_realize_job_start (guint id, VrStore *store, VrHostCaps *caps,
                      virConnectPtr conn, VrPlannedSystem *system,
                      const VrRealizeOptions *options)
{
  VrJob *job = vr_job_new (id, "realize", vr_planned_system_get_name (system));
  RealizeWork *work = g_new0 (RealizeWork, 1);

  work->store = g_object_ref (store);
  work->caps = g_object_ref (caps);
  virConnectRef (conn);
  work->conn = conn;
  work->system = g_object_ref (system);
  work->options = *options;
  work->pool = g_strdup (options->pool);
  work->pool_dir = g_strdup (options->pool_dir);
  work->options.pool = work->pool;
  work->options.pool_dir = work->pool_dir;
  if (options->import_dir != NULL)
    work->options.import_dir = vr_import_dir_ref (options->import_dir);
  if (options->counted_sizes != NULL)
    g_hash_table_ref (options->counted_sizes);
  work->bridges = g_strdupv ((char **) options->bridges);
  work->options.bridges = (const char *const *) work->bridges;
  vr_job_start (job, run_realize, work, realize_work_free);
  return job;
}
