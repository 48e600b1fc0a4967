/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "verify-job.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "errors.h"
#include "manifest.h"

static void
close_fd (gpointer data)
{
  int fd = GPOINTER_TO_INT (data);

  if (fd >= 0)
    close (fd);
}

static gboolean
run_verify (VrJob *job, VrProgress *progress, GCancellable *cancellable,
            gpointer data, GError **error)
{
  g_autoptr (VrImportDir) dir = NULL;
  int fd = GPOINTER_TO_INT (data);

  if (fd < 0)
    {
      vr_error_set_errno (error, EBADF, "import directory");
      return FALSE;
    }
  dir = vr_import_dir_open_fd (fd, error);
  if (dir == NULL)
    return FALSE;
  vr_progress_add_step (progress, "verify", 1);
  vr_progress_next (progress);
  if (!vr_manifest_verify (dir, progress, cancellable, error))
    return FALSE;
  vr_progress_finish (progress);
  return TRUE;
}

VrJob *
vr_verify_job_start (guint id, VrImportDir *dir)
{
  VrJob *job = vr_job_new (id, "verify", dir->path);
  int fd = fcntl (dir->fd, F_DUPFD_CLOEXEC, 3);

  vr_job_start (job, run_verify, GINT_TO_POINTER (fd), close_fd);
  return job;
}
