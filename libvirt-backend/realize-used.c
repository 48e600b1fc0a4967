/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Has the domain of an unfinished realize been used since the job defined
 * it? A person can start it (virsh start) while the job stalls, or after
 * the job died and before recovery runs; undo must then neither kill it
 * nor take its files: the guest's work since would be lost. */
#include "config.h"

#include "realize-used.h"
#include "realize-remote.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "fs-util.h"
#include "libvirt-util.h"
#include "realize-undo.h"

void
vr_realize_use_clear (VrRealizeUse *use)
{
  g_clear_pointer (&use->why, g_free);
  use->used = FALSE;
  use->handed_off = FALSE;
}

static gint64
mtime_ns (const struct stat *st)
{
  return (gint64) st->st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
         + st->st_mtim.tv_nsec;
}

/* A name from a journal never leads out of its directory. */
static gboolean
stat_name (int dir_fd, const char *name, const VrJournalFile *file,
           struct stat *st)
{
  if (*name == '\0' || strchr (name, '/') != NULL || g_str_equal (name, ".")
      || g_str_equal (name, ".."))
    return FALSE;
  return fstatat (dir_fd, name, st, AT_SYMLINK_NOFOLLOW) == 0
         && S_ISREG (st->st_mode) && (guint64) st->st_dev == file->dev
         && (guint64) st->st_ino == file->ino;
}

static gboolean
changed (const VrJournalFile *file, const struct stat *st)
{
  return file->sealed && ((guint64) st->st_size != file->size
                          || mtime_ns (st) != file->mtime_ns);
}

gboolean
vr_realize_seal_file (int dir_fd, VrJournalFile *file)
{
  struct stat st;

  if (file->names->len == 0
      || !stat_name (dir_fd, file->names->pdata[file->names->len - 1], file,
                     &st))
    return FALSE;
  file->sealed = TRUE;
  file->size = st.st_size;
  file->mtime_ns = mtime_ns (&st);
  return TRUE;
}

gboolean
vr_realize_file_intact (int dir_fd, const char *name,
                        const VrJournalFile *file)
{
  struct stat st;

  return stat_name (dir_fd, name, file, &st) && !changed (file, &st);
}

static int
dir_fd_for (const VrJournalDirId *dir, int given)
{
  if (given >= 0)
    return fcntl (given, F_DUPFD_CLOEXEC, 3);
  if (dir->path == NULL)
    return -1;
  return vr_reopen_dir (dir->path, dir->dev, dir->ino);
}

/* The first file of directory which that has a name leading to its inode
 * (*present) and whose content changed since it was sealed (returned). */
static const char *
changed_file (const VrRealizeJournal *journal, VrJournalDir which, int fd,
              gboolean *present)
{
  *present = FALSE;
  for (guint i = 0; fd >= 0 && journal->files != NULL
                  && i < journal->files->len; i++)
    {
      VrJournalFile *file = journal->files->pdata[i];
      struct stat st;

      if (file->dir != which)
        continue;
      for (guint j = 0; j < file->names->len; j++)
        if (stat_name (fd, file->names->pdata[j], file, &st))
          {
            *present = TRUE;
            if (changed (file, &st))
              return file->names->pdata[j];
          }
    }
  return NULL;
}

static void
set_used (VrRealizeUse *use, char *why)
{
  if (use->used)
    {
      g_free (why);
      return;
    }
  use->used = TRUE;
  use->why = why;
}

/* Active, or shut off after it ran. Paused by the job's own restore (the
 * managed-save hand-off, not yet confirmed) is the job's. */
static gboolean
check_state (virDomainPtr dom, const VrRealizeJournal *journal,
             VrRealizeUse *use, GError **error)
{
  int state = 0;
  int reason = 0;
  gboolean own_restore = journal->restoring && !journal->handed_off;

  if (virDomainGetState (dom, &state, &reason, 0) < 0)
    {
      vr_libvirt_set_error (error, "cannot read the state of domain '%s'",
                            virDomainGetName (dom));
      return FALSE;
    }
  if (state == VIR_DOMAIN_RUNNING && reason == VIR_DOMAIN_RUNNING_RESTORED)
    {
      /* Its only saved state is the hand-off: it was made. */
      use->handed_off = TRUE;
      set_used (use, g_strdup ("it is running, restored from its saved "
                               "state"));
    }
  else if (state == VIR_DOMAIN_RUNNING)
    set_used (use, g_strdup ("it is running"));
  else if (state == VIR_DOMAIN_PAUSED && own_restore)
    return TRUE;
  else if (state != VIR_DOMAIN_SHUTOFF)
    set_used (use, g_strdup_printf ("it is active (libvirt state %d, "
                                    "reason %d)", state, reason));
  else if (reason == VIR_DOMAIN_SHUTOFF_SHUTDOWN
           || reason == VIR_DOMAIN_SHUTOFF_CRASHED
           || (reason == VIR_DOMAIN_SHUTOFF_DESTROYED && !journal->restoring))
    set_used (use, g_strdup ("it has run and was stopped since"));
  return TRUE;
}

/* A confirmed hand-off that is gone: a start consumed it (libvirt removes
 * the managed save once it restored from it, or boots afresh with
 * --force-boot and removes it then). */
static gboolean
check_handoff (virDomainPtr dom, const VrRealizeJournal *journal,
               int save_fd, VrRealizeUse *use, GError **error)
{
  gboolean present = FALSE;
  int has;

  if (!journal->handed_off)
    return TRUE;
  if (journal->restoring)
    {
      has = virDomainHasManagedSaveImage (dom, 0);
      if (has < 0)
        {
          vr_libvirt_set_error (error, "cannot ask whether domain '%s' has "
                                "a managed save", virDomainGetName (dom));
          return FALSE;
        }
      if (has == 0)
        set_used (use, g_strdup ("its managed save is gone: it was started "
                                 "since"));
      return TRUE;
    }
  if (save_fd < 0 || journal->save.path == NULL)
    return TRUE;
  changed_file (journal, VR_JOURNAL_DIR_SAVE, save_fd, &present);
  if (!present)
    set_used (use, g_strdup_printf ("its saved state %s/%s.save is gone: "
                                    "it was started since",
                                    journal->save.path,
                                    virDomainGetName (dom)));
  return TRUE;
}

static void
check_files (const VrRealizeJournal *journal, int pool_fd, int save_fd,
             VrRealizeUse *use)
{
  gboolean present;
  const char *name = changed_file (journal, VR_JOURNAL_DIR_POOL, pool_fd,
                                   &present);

  if (name != NULL)
    set_used (use, g_strdup_printf ("%s/%s changed since the realize wrote "
                                    "it", journal->pool.path, name));
  name = changed_file (journal, VR_JOURNAL_DIR_SAVE, save_fd, &present);
  if (name != NULL)
    set_used (use, g_strdup_printf ("%s/%s changed since the realize wrote "
                                    "it", journal->save.path, name));
}

static gboolean
check_domain (virConnectPtr conn, const VrRealizeJournal *journal,
              int save_fd, VrRealizeUse *use, GError **error)
{
  g_autoptr (virDomain) dom = NULL;

  if (!vr_realize_journal_domain (conn, journal, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  if (journal->handed_off)
    use->handed_off = TRUE;
  return check_state (dom, journal, use, error)
         && check_handoff (dom, journal, save_fd, use, error);
}

gboolean
vr_realize_check_use (virConnectPtr conn, const VrRealizeJournal *journal,
                      int pool_fd, int save_fd, VrRealizeUse *use,
                      GError **error)
{
  int pool = dir_fd_for (&journal->pool, pool_fd);
  int save = dir_fd_for (&journal->save, save_fd);
  /* A remote job's domain is on its own host. */
  g_autoptr (virConnect) target = vr_realize_undo_connection (conn,
                                                              journal);
  gboolean ok;

  vr_realize_use_clear (use);
  ok = check_domain (target, journal, save, use, error);
  if (ok && journal->domain_uuid != NULL)
    check_files (journal, pool, save, use);
  if (pool >= 0)
    close (pool);
  if (save >= 0)
    close (save);
  /* Only a domain of this job can have used them: files alone say
   * nothing about it (undo keeps a changed file anyway). */
  if (!ok || journal->domain_uuid == NULL)
    vr_realize_use_clear (use);
  return ok;
}

/* The hand-off made, the pool's copy of the saved state is what the job
 * would have removed right after it; it goes only while it is the job's
 * and unchanged. */
static void
remove_state_copy (const VrRealizeJournal *journal, int pool_fd)
{
  int fd = dir_fd_for (&journal->pool, pool_fd);
  gboolean removed = FALSE;

  for (guint i = 0; fd >= 0 && journal->files != NULL
                  && i < journal->files->len; i++)
    {
      VrJournalFile *file = journal->files->pdata[i];

      if (file->dir != VR_JOURNAL_DIR_POOL || !file->saved_state)
        continue;
      for (guint j = 0; j < file->names->len; j++)
        if (vr_realize_file_intact (fd, file->names->pdata[j], file))
          removed |= unlinkat (fd, file->names->pdata[j], 0) == 0;
    }
  if (removed)
    fsync (fd);
  if (fd >= 0)
    close (fd);
}

static const VrJournalDirId *
dir_of (const VrRealizeJournal *journal, VrJournalDir which)
{
  switch (which)
    {
    case VR_JOURNAL_DIR_SAVE:
      return &journal->save;
    case VR_JOURNAL_DIR_NVRAM:
      return &journal->nvram;
    case VR_JOURNAL_DIR_SWTPM:
      return &journal->swtpm;
    case VR_JOURNAL_DIR_POOL:
    default:
      return &journal->pool;
    }
}

/* Every file the job made, by the last name it got. */
static char *
kept_files (const VrRealizeJournal *journal)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; journal->files != NULL && i < journal->files->len;
       i++)
    {
      VrJournalFile *file = journal->files->pdata[i];
      const char *dir = dir_of (journal, file->dir)->path;

      if (file->names->len == 0 || dir == NULL)
        continue;
      g_string_append_printf (text, "%s%s/%s", text->len ? ", " : "", dir,
                              (char *) file->names->pdata[file->names->len
                                                          - 1]);
    }
  return g_strdup (text->len ? text->str : "none");
}

void
vr_realize_end_used (const VrRealizeJournal *journal,
                     const VrRealizeUse *use, int pool_fd,
                     VrPlannedSystem *system)
{
  const char *name = vr_planned_system_get_name (system);
  g_autofree char *message = NULL;
  g_autofree char *files = NULL;

  if (use->handed_off)
    {
      remove_state_copy (journal, pool_fd);
      message = g_strdup_printf (
          "realized as domain '%s': the realize was interrupted after its "
          "hand-off, and the domain has run since (%s); nothing of it was "
          "undone", name, use->why);
      vr_planned_system_set_state (system, VR_PLANNED_STATE_REALIZED);
      vr_planned_system_set_domain (system, name);
      vr_planned_system_set_last_job (system, VR_ERROR_COMPLETED, message);
      return;
    }
  files = kept_files (journal);
  message = g_strdup_printf (
      "interrupted before its hand-off, but domain '%s' (UUID %s) has run "
      "since (%s): it is kept as it is, and so are the files this realize "
      "made for it (%s); nothing was removed. The planned system is not "
      "realized: keep using that domain, or undefine it and remove those "
      "files to realize again", name, journal->domain_uuid, use->why, files);
  vr_planned_system_set_state (system, VR_PLANNED_STATE_FAILED);
  vr_planned_system_set_last_job (system, VR_ERROR_IN_USE, message);
}
