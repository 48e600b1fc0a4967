/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-undo.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "fs-util.h"
#include "libvirt-util.h"
#include "realize-private.h"
#include "realize-remote.h"
#include "realize-used.h"
#include "safe-xml.h"

static int
dir_fd_for (const VrJournalDirId *dir, int given)
{
  int fd;

  if (given >= 0)
    return fcntl (given, F_DUPFD_CLOEXEC, 3);
  if (dir->path == NULL)
    return -1;
  fd = vr_reopen_dir (dir->path, dir->dev, dir->ino);
  if (fd < 0 && errno == ESTALE)
    g_message ("%s is not the directory the realize wrote to (it was "
               "replaced); nothing in it is removed", dir->path);
  return fd;
}

/* The files of one directory; the directory is synced after a removal so
 * that a crash does not bring the name back. */
static void
remove_files (const VrRealizeJournal *journal, VrJournalDir which, int fd)
{
  gboolean removed = FALSE;

  for (guint i = 0; journal->files != NULL && i < journal->files->len; i++)
    {
      VrJournalFile *file = journal->files->pdata[i];

      if (file->dir != which)
        continue;
      /* A file the guest (or a person) wrote since is not the job's
         to take, even at its inode. */
      for (guint j = 0; j < file->names->len; j++)
        if (vr_realize_file_intact (fd, file->names->pdata[j], file))
          removed |= vr_unlink_if_inode (fd, file->names->pdata[j],
                                         file->dev, file->ino);
    }
  if (removed)
    fsync (fd);
}

static void
undo_files (const VrRealizeJournal *journal, VrJournalDir which,
            const VrJournalDirId *dir, int given)
{
  int fd = dir_fd_for (dir, given);

  if (fd < 0)
    return;
  remove_files (journal, which, fd);
  close (fd);
}

gboolean
vr_realize_domain_is_ours (virDomainPtr dom, const char *job,
                           gboolean *ours, GError **error)
{
  g_autofree char *xml = virDomainGetMetadata (dom,
                                               VIR_DOMAIN_METADATA_ELEMENT,
                                               VR_REALIZE_METADATA_NS,
                                               VIR_DOMAIN_AFFECT_CONFIG);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *tagged = NULL;
  virErrorPtr err;

  *ours = FALSE;
  if (xml == NULL)
    {
      err = virGetLastError ();
      if (err != NULL && err->code == VIR_ERR_NO_DOMAIN_METADATA)
        return TRUE;
      vr_libvirt_set_error (error, "cannot read the metadata of domain '%s'",
                            virDomainGetName (dom));
      return FALSE;
    }
  doc = vr_xml_parse_buffer (xml, strlen (xml), "domain metadata", NULL,
                             NULL);
  if (doc != NULL)
    tagged = vr_xml_xpath_string (doc, "string(/*/@job)");
  *ours = job != NULL && g_strcmp0 (tagged, job) == 0;
  return TRUE;
}

/* libvirt's undefine removes SAVEDIR/NAME.save by its name when asked
 * to. Undo has removed this job's own link there already (by inode), so
 * a file still at that name is someone else's: it must not be asked to,
 * and then refuses to undefine; the domain stays, its rollback pending,
 * until that file is moved away. */
static gboolean
foreign_managed_save (virDomainPtr dom, int save_fd)
{
  g_autofree char *name = NULL;
  struct stat st;

  if (save_fd < 0)
    return FALSE;
  name = g_strconcat (virDomainGetName (dom), ".save", NULL);
  return fstatat (save_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static unsigned int
undefine_flags (gboolean foreign_save)
{
  /* The NVRAM and TPM state are kept: undo removes them when they are
   * the ones this job made, by their inodes, not libvirt by the domain's
   * name and UUID (a variable store an earlier 'virsh undefine' left at
   * NAME_VARS.fd is not ours to delete). */
  unsigned int flags = VIR_DOMAIN_UNDEFINE_KEEP_NVRAM
                       | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                       | VIR_DOMAIN_UNDEFINE_KEEP_TPM;

  return foreign_save ? flags : flags | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
}

/* The only active domain undo stops is the job's own restore (paused,
 * the managed-save hand-off begun and not confirmed); one that runs has
 * been started by someone (vr_realize_check_use says so before undo),
 * and is never killed. */
static gboolean
stop_own_restore (virDomainPtr dom, const VrRealizeJournal *journal,
                  GError **error)
{
  int state = 0;
  int reason = 0;

  if (virDomainIsActive (dom) != 1)
    return TRUE;
  if (virDomainGetState (dom, &state, &reason, 0) == 0
      && state == VIR_DOMAIN_PAUSED && journal->restoring
      && !journal->handed_off)
    {
      virDomainDestroy (dom);
      return TRUE;
    }
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
               "domain '%s' is active and not by this realize: it is "
               "kept, with its files", virDomainGetName (dom));
  return FALSE;
}

gboolean
vr_realize_journal_domain (virConnectPtr conn,
                           const VrRealizeJournal *journal,
                           virDomainPtr *out, GError **error)
{
  g_autoptr (virDomain) dom = NULL;
  gboolean ours = FALSE;
  virErrorPtr err;

  *out = NULL;
  if (journal->domain_uuid == NULL)
    return TRUE;
  if (conn == NULL || virConnectIsAlive (conn) != 1)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_AVAILABLE,
                   "libvirt is not reachable: domain %s may be defined",
                   journal->domain_uuid);
      return FALSE;
    }
  dom = virDomainLookupByUUIDString (conn, journal->domain_uuid);
  if (dom == NULL)
    {
      err = virGetLastError ();
      if (err != NULL && err->code == VIR_ERR_NO_DOMAIN)
        return TRUE;
      vr_libvirt_set_error (error, "cannot look up domain %s",
                            journal->domain_uuid);
      return FALSE;
    }
  if (!vr_realize_domain_is_ours (dom, journal->job, &ours, error))
    return FALSE;
  if (ours)
    *out = g_steal_pointer (&dom);
  return TRUE;
}

/* FALSE when libvirt cannot be asked; a domain that is gone, or that this
 * job did not define (no tag, another job's tag), is left as it is. */
static gboolean
undo_domain (virConnectPtr conn, const VrRealizeJournal *journal,
             int save_fd, GError **error)
{
  g_autoptr (virDomain) dom = NULL;
  gboolean foreign_save;
  virErrorPtr err;

  if (!vr_realize_journal_domain (conn, journal, &dom, error))
    return FALSE;
  if (dom == NULL)
    return TRUE;
  if (!stop_own_restore (dom, journal, error))
    return FALSE;
  foreign_save = foreign_managed_save (dom, save_fd);
  if (virDomainUndefineFlags (dom, undefine_flags (foreign_save)) == 0)
    return TRUE;
  err = virGetLastError ();
  if (err != NULL && err->code == VIR_ERR_NO_DOMAIN)
    return TRUE;
  if (foreign_save)
    vr_libvirt_set_error (error, "domain '%s' is kept: %s/%s.save is not "
                          "a file this realize made, and libvirt removes "
                          "it with the domain; move it away, then "
                          "recover", virDomainGetName (dom),
                          journal->save.path, virDomainGetName (dom));
  else
    vr_libvirt_set_error (error, "cannot undefine domain '%s'",
                          virDomainGetName (dom));
  return FALSE;
}

gboolean
vr_realize_undo (virConnectPtr conn, const VrRealizeJournal *journal,
                 int pool_fd, int save_fd, GError **error)
{
  int fd = dir_fd_for (&journal->save, save_fd);
  g_autoptr (virConnect) target = vr_realize_undo_connection (conn,
                                                              journal);
  gboolean undone;

  /* The managed-save link first: libvirt must not find it for a domain
   * that is about to go. */
  if (fd >= 0)
    remove_files (journal, VR_JOURNAL_DIR_SAVE, fd);
  /* A remote job's domain and volumes are on its own host. */
  undone = undo_domain (target, journal, fd, error)
           && vr_realize_undo_volumes (target, journal, error);
  if (fd >= 0)
    close (fd);
  /* The domain's disks stay with it until it can be undefined. */
  if (!undone)
    return FALSE;
  undo_files (journal, VR_JOURNAL_DIR_POOL, &journal->pool, pool_fd);
  vr_realize_undo_firmware (journal);
  return TRUE;
}
