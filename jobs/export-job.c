/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "export-job.h"

#include <fcntl.h>
#include <unistd.h>

#define RESULT_KEY "vr-export-result"

typedef struct {
  virConnectPtr conn;
  char *domain;
  char *path;    /* or NULL, and */
  int dir_fd;    /* the caller's directory, duplicated */
  VrExportOptions options;
} ExportWork;

static void
export_work_free (gpointer data)
{
  ExportWork *work = data;

  virConnectClose (work->conn);
  g_free (work->domain);
  g_free (work->path);
  if (work->dir_fd >= 0)
    close (work->dir_fd);
  g_free (work);
}

static gboolean
run_export (VrJob *job, VrProgress *progress, GCancellable *cancellable,
            gpointer data, GError **error)
{
  ExportWork *work = data;
  VrExportResult *result;

  if (work->path != NULL)
    result = vr_export (work->conn, work->domain, work->path, &work->options,
                        progress, cancellable, error);
  else
    result = vr_export_to_fd (work->conn, work->domain, work->dir_fd,
                              &work->options, progress, cancellable, error);

  if (result == NULL)
    return FALSE;
  /* Set before the job completes, read after: the job's own data. */
  g_object_set_data_full (G_OBJECT (job), RESULT_KEY, result,
                          (GDestroyNotify) vr_export_result_free);
  return TRUE;
}

static VrJob *
start (guint id, virConnectPtr conn, const char *domain, const char *path,
       int dir_fd, const VrExportOptions *options)
{
  VrJob *job = vr_job_new (id, "export", domain);
  ExportWork *work = g_new0 (ExportWork, 1);

  virConnectRef (conn);
  work->conn = conn;
  work->domain = g_strdup (domain);
  work->path = g_strdup (path);
  work->dir_fd = dir_fd >= 0 ? fcntl (dir_fd, F_DUPFD_CLOEXEC, 3) : -1;
  work->options = *options;
  vr_job_start (job, run_export, work, export_work_free);
  return job;
}

VrJob *
vr_export_job_start (guint id, virConnectPtr conn, const char *domain,
                     const char *path, const VrExportOptions *options)
{
  return start (id, conn, domain, path, -1, options);
}

VrJob *
vr_export_job_start_fd (guint id, virConnectPtr conn, const char *domain,
                        int dir_fd, const VrExportOptions *options)
{
  return start (id, conn, domain, NULL, dir_fd, options);
}

const VrExportResult *
vr_export_job_get_result (VrJob *job)
{
  return g_object_get_data (G_OBJECT (job), RESULT_KEY);
}
