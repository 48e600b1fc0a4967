/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The carried UEFI variable store and swtpm state, put where this host's
 * libvirt looks for them: NVRAM_DIR/NAME_VARS.fd (libvirt's default for
 * the domain, which <nvram> then names) and SWTPM_DIR/UUID/tpm2/. Each is
 * made exclusively and journaled with its st_dev/st_ino before it can be
 * found under its name, so that undo removes only what this job made.
 * Onto a remote host the store is a volume of the remote pool instead
 * (vr_realize_remote_place_nvram). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "findings.h"
#include "fs-util.h"
#include "import-firmware.h"
#include "realize-private.h"
#include "safe-xml.h"
#include "state-paths.h"
#include "test-hooks.h"

/* libvirt's swtpm_user and swtpm_group for a privileged driver
 * (qemu.conf's defaults): swtpm runs as them and owns its state. */
#define SWTPM_USER "tss"
#define SWTPM_STATE_DIR_MODE 0711
#define SWTPM_FOLDER_MODE 0700

static int
open_state_dir (const char *path, mode_t mode, VrJournalDirId *id,
                GError **error)
{
  guint64 dev = 0;
  guint64 ino = 0;
  int fd;

  /* libvirt makes these at its start; a root that never ran a guest of
   * this kind may lack them, and then they are libvirt's to keep. */
  if (g_mkdir_with_parents (path, mode) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s", path);
      return -1;
    }
  fd = vr_open_dir (path, &dev, &ino);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return -1;
    }
  *id = (VrJournalDirId){ g_strdup (path), dev, ino };
  return fd;
}

void
vr_realize_set_nvram_path (Realize *r, const char *path)
{
  xmlNode *nvram = vr_xml_xpath_node (r->doc, "/domain/os/nvram");
  xmlNode *os = vr_xml_xpath_node (r->doc, "/domain/os");

  if (nvram == NULL)
    nvram = xmlNewChild (os, NULL, (const xmlChar *)"nvram", NULL);
  xmlNodeSetContent (nvram, (const xmlChar *)path);
}

static gboolean
no_connection_dir (const char *what, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "this connection's %s folder is not reachable from here: "
               "realize on the host that runs the guest",
               what);
  return FALSE;
}

static gboolean
copy_nvram (Realize *r, int src, int dir_fd, const char *relpath,
            const char *name, GError **error)
{
  g_autoptr (VrSha256) checksum = vr_realize_checksum_for (r);
  VrRealizeTracked t
      = { r,
          vr_realize_journal_add_file (&r->journal, VR_JOURNAL_DIR_NVRAM, 0, 0),
          NULL };
  VrCopyExtra extra = { .track = vr_realize_track_in_journal,
                        .track_data = &t, .sha256 = checksum };
  VrCopyResult result = { 0 };
  gboolean ok = vr_copy_fd_to_extra (
      src, dir_fd, name, 0600, r->options->copy_flags, &extra, r->cancellable,
      NULL, NULL, &result, error);

  g_free (t.target);
  if (!ok)
    {
      g_prefix_error (error, "copying %s/%s into %s: ", r->import->path,
                      relpath, r->journal.nvram.path);
      return FALSE;
    }
  return vr_realize_verify_copy (r, relpath, result.size, checksum, error);
}

/* Never over a store that is there (validate said so already, as
 * VR1901; the copy refuses too). */
static gboolean
place_nvram (Realize *r, GError **error)
{
  const char *relpath = vr_planned_system_get_nvram_file (r->system);
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;
  int dir_fd;
  int src;
  gboolean ok;

  /* An edit that took UEFI out leaves the store behind. */
  if (relpath == NULL || !vr_domain_uses_nvram (r->doc))
    return TRUE;
  if (r->remote)
    return vr_realize_remote_place_nvram (r, relpath, error);
  dir = vr_state_nvram_dir (r->conn);
  if (dir == NULL)
    return no_connection_dir ("NVRAM", error);
  dir_fd = open_state_dir (dir, 0755, &r->journal.nvram, error);
  if (dir_fd < 0)
    return FALSE;
  src = vr_import_dir_open_file (r->import, relpath, error);
  name = g_strdup_printf ("%s_VARS.fd", vr_realize_name (r));
  ok = src >= 0 && copy_nvram (r, src, dir_fd, relpath, name, error);
  if (src >= 0)
    close (src);
  close (dir_fd);
  if (!ok)
    return FALSE;
  path = g_build_filename (dir, name, NULL);
  vr_realize_set_nvram_path (r, path);
  return TRUE;
}

/* swtpm runs as tss and must own its state, as libvirt's swtpm_setup
 * makes it; a process that is not root keeps it as its own. */
static void
give_to_swtpm (int at, const char *name)
{
  struct passwd *pw = geteuid () == 0 ? getpwnam (SWTPM_USER) : NULL;

  if (pw != NULL
      && fchownat (at, name, pw->pw_uid, pw->pw_gid, AT_SYMLINK_NOFOLLOW) < 0)
    g_debug ("cannot give %s to %s: %s", name, SWTPM_USER, g_strerror (errno));
}

static gboolean
copy_tpm_file (Realize *r, const VrImportFile *file, int folder_fd,
               GError **error)
{
  g_autoptr (VrSha256) checksum = vr_realize_checksum_for (r);
  g_autofree char *base = g_path_get_basename (file->relpath);
  VrCopyExtra extra = { .sha256 = checksum };
  VrCopyResult result = { 0 };
  int src = vr_import_dir_open_file (r->import, file->relpath, error);
  gboolean ok;

  if (src < 0)
    return FALSE;
  ok = vr_copy_fd_to_extra (src, folder_fd, base, (file->mode & 0700) | 0600,
                            r->options->copy_flags, &extra, r->cancellable,
                            NULL, NULL, &result, error);
  close (src);
  if (!ok)
    {
      g_prefix_error (error, "copying %s/%s: ", r->import->path, file->relpath);
      return FALSE;
    }
  give_to_swtpm (folder_fd, base);
  return vr_realize_verify_copy (r, file->relpath, result.size, checksum,
                                 error);
}

/* The files of DIR/tpm/tpm2 into tmp/tpm2 (tmp is the new folder). */
static gboolean
fill_tpm_folder (Realize *r, int tmp_fd, GError **error)
{
  const char *folder = r->import->tpm_folder;
  int folder_fd;
  gboolean ok = TRUE;

  if (mkdirat (tmp_fd, folder, SWTPM_FOLDER_MODE) < 0
      || fchmodat (tmp_fd, folder, SWTPM_FOLDER_MODE, 0) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s",
                          r->journal.swtpm.path, folder);
      return FALSE;
    }
  folder_fd = openat (tmp_fd, folder,
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (folder_fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s/%s",
                          r->journal.swtpm.path, folder);
      return FALSE;
    }
  for (guint i = 0; ok && i < r->import->tpm_files->len; i++)
    ok = copy_tpm_file (r, r->import->tpm_files->pdata[i], folder_fd, error);
  if (ok)
    give_to_swtpm (tmp_fd, folder);
  ok = ok && fsync (folder_fd) == 0;
  close (folder_fd);
  return ok;
}

/* A folder of our own, new: ".vr-tpm-UUID.XXXXXX"; journaled with its
 * inode and the name it will get before it is filled. */
static char *
make_tmp_folder (Realize *r, int dir_fd, const char *uuid, GError **error)
{
  for (guint tries = 0; tries < 100; tries++)
    {
      g_autofree char *name = g_strdup_printf (".vr-tpm-%s.%06x", uuid,
                                               g_random_int () & 0xffffff);
      VrJournalFile *entry;
      struct stat st;

      if (mkdirat (dir_fd, name, SWTPM_STATE_DIR_MODE) < 0)
        {
          if (errno == EEXIST)
            continue;
          break;
        }
      if (fchmodat (dir_fd, name, SWTPM_STATE_DIR_MODE, 0) < 0
          || fstatat (dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        break;
      entry = vr_realize_journal_add_file (&r->journal, VR_JOURNAL_DIR_SWTPM,
                                           st.st_dev, st.st_ino);
      g_ptr_array_add (entry->names, g_strdup (name));
      g_ptr_array_add (entry->names, g_strdup (uuid));
      if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
        {
          unlinkat (dir_fd, name, AT_REMOVEDIR);
          return NULL;
        }
      return g_steal_pointer (&name);
    }
  vr_error_set_errno (error, errno, "cannot create a folder in %s",
                      r->journal.swtpm.path);
  return NULL;
}

/* The whole state appears at once, under the UUID libvirt looks for,
 * and never over one that is there. */
static gboolean
publish_tpm (Realize *r, int dir_fd, const char *tmp, const char *uuid,
             GError **error)
{
  if (!vr_test_hook_fail ("tpm", error))
    return FALSE;
  if (renameat2 (dir_fd, tmp, dir_fd, uuid, RENAME_NOREPLACE) == 0)
    {
      fsync (dir_fd);
      return TRUE;
    }
  if (errno == EEXIST)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "%s/%s exists already: another TPM state of this UUID is "
                 "in the way",
                 r->journal.swtpm.path, uuid);
  else
    vr_error_set_errno (error, errno, "cannot rename %s/%s to %s",
                        r->journal.swtpm.path, tmp, uuid);
  return FALSE;
}

/* Validate said so already (VR1905); checked again right before the
 * domain is defined, since the state may have appeared since (sixth
 * review, F1: a leftover of a gone domain with this UUID would be the
 * new guest's TPM, with someone else's seeds and keys). */
static gboolean
check_no_tpm_left (const char *dir, const char *uuid, GError **error)
{
  g_autofree char *path = g_build_filename (dir, uuid, NULL);
  struct stat st;

  if (lstat (path, &st) < 0 && errno == ENOENT)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
               "%s exists already and no TPM state is carried: it is "
               "another domain's or left over, and the guest would start "
               "with that TPM (%s: 'virsh undefine --tpm DOMAIN', or an "
               "administrator removes it; or import with --new-id)",
               path, VR_FINDING_TPM_TAKEN);
  return FALSE;
}

static gboolean
place_tpm (Realize *r, GError **error)
{
  const char *uuid = vr_planned_system_get_uuid (r->system);
  g_autofree char *dir = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *version = vr_domain_tpm_version (r->doc);
  int dir_fd;
  gboolean ok;

  if (version == NULL)
    return TRUE;
  dir = vr_state_swtpm_dir (r->conn);
  /* An edit that took the TPM out, or made it another version, leaves
   * the state behind: then libvirt gives the guest what is at its UUID,
   * which must be nothing (a remote host's folder is out of reach: see
   * docs/security.md). */
  if (vr_planned_system_get_tpm_folder (r->system) == NULL
      || r->import->tpm_files == NULL
      || g_strcmp0 (vr_tpm_state_folder (version), r->import->tpm_folder)
             != 0)
    return dir == NULL || check_no_tpm_left (dir, uuid, error);
  if (dir == NULL)
    return no_connection_dir ("TPM state", error);
  dir_fd = open_state_dir (dir, SWTPM_STATE_DIR_MODE, &r->journal.swtpm, error);
  if (dir_fd < 0)
    return FALSE;
  tmp = make_tmp_folder (r, dir_fd, uuid, error);
  ok = tmp != NULL;
  if (ok)
    {
      int tmp_fd = openat (dir_fd, tmp,
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

      ok = tmp_fd >= 0 && fill_tpm_folder (r, tmp_fd, error);
      if (tmp_fd < 0)
        vr_error_set_errno (error, errno, "cannot open %s/%s", dir, tmp);
      else
        close (tmp_fd);
    }
  ok = ok && publish_tpm (r, dir_fd, tmp, uuid, error);
  close (dir_fd);
  return ok;
}

/* SMM that libvirt turned on by itself when the guest started (Secure
 * Boot firmware needs it; an inactive XML made by virt-install has none):
 * the image's firmware needs it again at restore. */
static void
keep_started_smm (xmlDoc *doc, xmlDoc *image)
{
  xmlNode *smm = vr_xml_xpath_node (image, "/domain/features/smm");
  xmlNode *features;

  if (smm == NULL || vr_xml_xpath_node (doc, "/domain/features/smm") != NULL)
    return;
  features = vr_xml_xpath_node (doc, "/domain/features");
  if (features == NULL)
    features = xmlNewChild (xmlDocGetRootElement (doc), NULL,
                            (const xmlChar *) "features", NULL);
  xmlAddChild (features, xmlDocCopyNode (smm, doc, 1));
}

/* The firmware choice in an <os>: what libvirt chose when the guest
 * started and a restore does not choose again. Everything else there
 * (kernel, initrd, dtb, ACPI tables, boot order, ...) is the planned
 * XML's, which validate judged as such. */
static gboolean
is_firmware_choice (xmlNode *node)
{
  static const char *const names[] = { "type", "loader", "nvram",
                                       "firmware", NULL };

  return node->type == XML_ELEMENT_NODE && node->ns == NULL
         && g_strv_contains (names, (const char *) node->name);
}

/* The planned <os> with the image's firmware choice in it: the image's
 * <os> attributes (e.g. firmware='efi'), <type> (the machine the guest
 * runs on), <loader>, <nvram> and <firmware>; the planned XML's other
 * elements. Never the image's kernel, ACPI table or other files: the
 * image's XML is the caller's to write (fifth review, F1). */
static xmlNode *
firmware_os (xmlDoc *doc, xmlNode *planned_os, xmlNode *image_os)
{
  xmlNode *os = xmlDocCopyNode (image_os, doc, 2);

  for (xmlNode *n = image_os->children; n != NULL; n = n->next)
    if (is_firmware_choice (n))
      xmlAddChild (os, xmlDocCopyNode (n, doc, 1));
  for (xmlNode *n = planned_os->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && !is_firmware_choice (n))
      xmlAddChild (os, xmlDocCopyNode (n, doc, 1));
  return os;
}

/* The planned XML with the image's firmware choice (firmware_os), the
 * variable store's path on this host, and the SMM that firmware needs. */
char *
vr_realize_image_xml (Realize *r, xmlDoc *image)
{
  return vr_image_xml_for (r->doc, image, r->conn, vr_realize_name (r));
}

char *
vr_image_xml_for (xmlDoc *planned, xmlDoc *image, virConnectPtr conn,
                  const char *name)
{
  g_autoptr (xmlDoc) doc = xmlCopyDoc (planned, 1);
  xmlNode *os = vr_xml_xpath_node (doc, "/domain/os");
  xmlNode *image_os = vr_xml_xpath_node (image, "/domain/os");
  g_autofree char *path
      = vr_xml_xpath_string (planned, "string(/domain/os/nvram)");
  xmlNode *copy;
  xmlNode *nvram;

  if (os == NULL || image_os == NULL
      || vr_xml_xpath_node (image, "/domain/os/loader") == NULL)
    return vr_xml_to_string (doc);
  copy = firmware_os (doc, os, image_os);
  xmlReplaceNode (os, copy);
  xmlFreeNode (os);
  nvram = vr_xml_xpath_node (doc, "/domain/os/nvram");
  if (path == NULL)
    path = vr_state_nvram_path (conn, name);
  /* The source host's path is never used here: this host's, or
   * libvirt's default when it has none to name. */
  if (nvram != NULL && path != NULL)
    xmlNodeSetContent (nvram, (const xmlChar *)path);
  else if (nvram != NULL)
    {
      xmlUnlinkNode (nvram);
      xmlFreeNode (nvram);
    }
  keep_started_smm (doc, image);
  return vr_xml_to_string (doc);
}

gboolean
vr_realize_place_firmware (Realize *r, GError **error)
{
  return place_nvram (r, error) && place_tpm (r, error);
}

static void
undo_in (const VrRealizeJournal *journal, VrJournalDir which,
         const VrJournalDirId *dir)
{
  int fd;

  if (dir->path == NULL)
    return;
  fd = vr_reopen_dir (dir->path, dir->dev, dir->ino);
  if (fd < 0)
    return;
  for (guint i = 0; journal->files != NULL && i < journal->files->len; i++)
    {
      VrJournalFile *file = journal->files->pdata[i];

      for (guint j = 0; file->dir == which && j < file->names->len; j++)
        if (which == VR_JOURNAL_DIR_SWTPM)
          vr_rmtree_if_inode (fd, file->names->pdata[j], file->dev, file->ino);
        else
          vr_unlink_if_inode (fd, file->names->pdata[j], file->dev, file->ino);
    }
  fsync (fd);
  close (fd);
}

void
vr_realize_undo_firmware (const VrRealizeJournal *journal)
{
  undo_in (journal, VR_JOURNAL_DIR_NVRAM, &journal->nvram);
  undo_in (journal, VR_JOURNAL_DIR_SWTPM, &journal->swtpm);
}
