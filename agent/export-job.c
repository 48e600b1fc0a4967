/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "export-job.h"

#define RESULT_KEY "vr-export-result"

typedef struct {
  virConnectPtr conn;
  char *domain;
  char *path;
  VrExportOptions options;
} ExportWork;

static void
export_work_free (gpointer data)
{
  ExportWork *work = data;

  virConnectClose (work->conn);
  g_free (work->domain);
  g_free (work->path);
  g_free (work);
}

static gboolean
run_export (VrJob *job, VrProgress *progress, GCancellable *cancellable,
            gpointer data, GError **error)
{
  ExportWork *work = data;
  VrExportResult *result = vr_export (work->conn, work->domain, work->path,
                                      &work->options, progress, cancellable,
                                      error);

  if (result == NULL)
    return FALSE;
  /* Set before the job completes, read after: the job's own data. */
  g_object_set_data_full (G_OBJECT (job), RESULT_KEY, result,
                          (GDestroyNotify) vr_export_result_free);
  return TRUE;
}

VrJob *
vr_export_job_start (guint id, virConnectPtr conn, const char *domain,
                     const char *path, const VrExportOptions *options)
{
  VrJob *job = vr_job_new (id, "export", domain);
  ExportWork *work = g_new0 (ExportWork, 1);

  virConnectRef (conn);
  work->conn = conn;
  work->domain = g_strdup (domain);
  work->path = g_strdup (path);
  work->options = *options;
  vr_job_start (job, run_export, work, export_work_free);
  return job;
}

const VrExportResult *
vr_export_job_get_result (VrJob *job)
{
  return g_object_get_data (G_OBJECT (job), RESULT_KEY);
}
