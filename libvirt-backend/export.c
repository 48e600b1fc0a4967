/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "export-private.h"
#include "fs-util.h"
#include "handoff.h"
#include "import-dir.h"
#include "libvirt-util.h"
#include "manifest.h"
#include "qcow2.h"
#include "realize-remote.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "save-image.h"

/* The files hold guest memory, disk contents and (the XML with security
 * info) passwords: for the exporting user only. */
#define EXPORT_FILE_MODE 0600
#define EXPORT_DIR_MODE 0755

typedef struct {
  virConnectPtr conn;
  const VrExportOptions *options;
  VrProgress *progress;
  GCancellable *cancellable;
  VrExportResult *result;
  virDomainPtr dom;
  xmlDoc *doc;          /* domain.xml to write */
  GPtrArray *disks;     /* of VrExportDisk */
  VrExportFirmware firmware;
  char *save_src;       /* the managed-save file, NULL when none */
  gboolean running;
  gboolean remote;      /* the domain is on another host (export-remote) */
  const char *path;
  gboolean created;     /* path is ours to remove on failure */
  int dir_fd;
  int disks_fd;
  GPtrArray *written;   /* names below path, in the order made */
  VrProgress *disk_steps; /* the "disks" step's child: one step a disk */
} Export;

void
vr_export_result_free (VrExportResult *result)
{
  if (result == NULL)
    return;
  g_free (result->name);
  g_free (result->uuid);
  g_free (result->save_file);
  g_ptr_array_unref (result->notes);
  g_free (result);
}

static void
export_clear (Export *e)
{
  if (e->dom != NULL)
    virDomainFree (e->dom);
  if (e->doc != NULL)
    xmlFreeDoc (e->doc);
  if (e->disks != NULL)
    g_ptr_array_unref (e->disks);
  g_free (e->save_src);
  vr_export_firmware_clear (&e->firmware);
  if (e->dir_fd >= 0)
    close (e->dir_fd);
  if (e->disks_fd >= 0)
    close (e->disks_fd);
  g_ptr_array_unref (e->written);
  vr_export_result_free (e->result);
}

static const char *
name_of (Export *e)
{
  return e->result->name;
}

/* A name first, as virsh does, then a UUID. */
static gboolean
lookup_domain (Export *e, const char *domain, GError **error)
{
  char uuid[VIR_UUID_STRING_BUFLEN];

  e->dom = virDomainLookupByName (e->conn, domain);
  if (e->dom == NULL)
    e->dom = virDomainLookupByUUIDString (e->conn, domain);
  if (e->dom == NULL)
    {
      g_autofree char *uri = virConnectGetURI (e->conn);

      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "no domain '%s' on %s", domain, uri ? uri : "this "
                   "connection");
      return FALSE;
    }
  e->result->name = g_strdup (virDomainGetName (e->dom));
  if (virDomainGetUUIDString (e->dom, uuid) == 0)
    e->result->uuid = g_strdup (uuid);
  return TRUE;
}

static gboolean
check_persistent (Export *e, GError **error)
{
  if (virDomainIsPersistent (e->dom) == 1)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "domain '%s' is transient: it has no persistent definition "
               "to export; define it first (virsh dumpxml %s > %s.xml; "
               "virsh define %s.xml)", name_of (e), name_of (e), name_of (e),
               name_of (e));
  return FALSE;
}

static gboolean
read_domain_xml (Export *e, GError **error)
{
  char *xml = virDomainGetXMLDesc (e->dom, VIR_DOMAIN_XML_INACTIVE
                                           | VIR_DOMAIN_XML_SECURE);

  if (xml == NULL)
    {
      vr_libvirt_set_error (error, "cannot read the definition of '%s'",
                            name_of (e));
      return FALSE;
    }
  e->doc = vr_xml_parse_buffer (xml, strlen (xml), "libvirt's domain XML",
                                "domain", error);
  free (xml);
  return e->doc != NULL;
}

/* libvirt reports a managed save it did not make itself only after its
 * next start (LIBVIRT-NOTES.md), so where the file can be seen, the file
 * decides. */
static gboolean
has_managed_save (Export *e, const char *file)
{
  if (file != NULL)
    return g_file_test (file, G_FILE_TEST_IS_REGULAR);
  return virDomainHasManagedSaveImage (e->dom, 0) == 1;
}

static gboolean
check_running (Export *e, GError **error)
{
  if (!e->options->save)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "domain '%s' is running: its memory is not saved and its "
                   "disks are in use; export --save managed-saves it first "
                   "(it resumes where it stopped when started again, here "
                   "or where the export is realized), or shut it down",
                   name_of (e));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_state (Export *e, GError **error)
{
  g_autofree char *file = vr_handoff_managed_save_path (e->conn,
                                                        name_of (e));
  int active = virDomainIsActive (e->dom);

  if (active < 0)
    {
      vr_libvirt_set_error (error, "cannot read the state of '%s'",
                            name_of (e));
      return FALSE;
    }
  e->running = active == 1;
  if (e->running && !check_running (e, error))
    return FALSE;
  if (!e->running && !has_managed_save (e, file))
    {
      if (!e->options->save)
        return TRUE;
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "domain '%s' is not running: nothing to save (export it "
                   "without --save)", name_of (e));
      return FALSE;
    }
  if (file == NULL && e->remote)
    {
      g_autofree char *uri = virConnectGetURI (e->conn);

      file = g_strdup_printf ("the managed save of '%s' on %s", name_of (e),
                              uri);
    }
  if (file == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "the saved state of '%s' is a file on the connection's "
                   "host, which cannot be read from here: export on that "
                   "host (or drop the state with virsh managedsave-remove "
                   "to export the definition alone)", name_of (e));
      return FALSE;
    }
  e->save_src = g_steal_pointer (&file);
  return TRUE;
}

static gboolean
dir_is_empty (int fd, gboolean *empty)
{
  DIR *d = fdopendir (fd);
  struct dirent *item;
  int errsv;

  if (d == NULL)
    {
      close (fd);
      return FALSE;
    }
  *empty = TRUE;
  while ((errno = 0, item = readdir (d)) != NULL)
    if (!g_str_equal (item->d_name, ".") && !g_str_equal (item->d_name, ".."))
      *empty = FALSE;
  errsv = errno;
  closedir (d);
  errno = errsv;
  return errsv == 0;
}

/* fd stays the caller's, open. */
static gboolean
check_empty (int fd, const char *path, GError **error)
{
  int copy = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  gboolean empty = FALSE;

  if (copy < 0 || !dir_is_empty (copy, &empty))
    {
      vr_error_set_errno (error, errno, "cannot list %s", path);
      return FALSE;
    }
  /* The copy shares the offset: the directory is read again from 0. */
  lseek (fd, 0, SEEK_SET);
  if (empty)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s is not empty: export writes into a new or an empty "
               "directory only", path);
  return FALSE;
}

/* path must not exist (*fd_out -1), or be an empty directory (its fd). */
static gboolean
check_target (const char *path, int *fd_out, GError **error)
{
  *fd_out = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*fd_out < 0 && errno == ENOENT)
    return TRUE;
  if (*fd_out >= 0)
    return check_empty (*fd_out, path, error);
  if (errno == ENOTDIR)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s exists and is not a directory", path);
  else
    vr_error_set_errno (error, errno, "cannot open %s", path);
  return FALSE;
}

static gboolean
make_target (Export *e, GError **error)
{
  if (e->dir_fd >= 0)
    return check_empty (e->dir_fd, e->path, error);
  if (!check_target (e->path, &e->dir_fd, error))
    return FALSE;
  if (e->dir_fd >= 0)
    return TRUE;
  if (mkdir (e->path, EXPORT_DIR_MODE) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s", e->path);
      return FALSE;
    }
  e->created = TRUE;
  /* mkdir honours the umask; the mode is part of the format. */
  chmod (e->path, EXPORT_DIR_MODE);
  e->dir_fd = open (e->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (e->dir_fd >= 0)
    return TRUE;
  vr_error_set_errno (error, errno, "cannot open %s", e->path);
  return FALSE;
}

static gboolean
write_file (Export *e, const char *name, const char *text, GError **error)
{
  gsize len = strlen (text);
  int fd = openat (e->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                    | O_CLOEXEC, EXPORT_FILE_MODE);
  gboolean ok;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s", e->path, name);
      return FALSE;
    }
  g_ptr_array_add (e->written, g_strdup (name));
  ok = vr_write_all (fd, text, len) && fsync (fd) == 0;
  if (close (fd) < 0)
    ok = FALSE;
  if (!ok)
    {
      vr_error_set_errno (error, errno, "cannot write %s/%s", e->path, name);
      return FALSE;
    }
  e->result->bytes += len;
  return TRUE;
}

static gboolean
step (Export *e, const char *phase, GError **error)
{
  if (g_strcmp0 (vr_progress_get_phase (e->progress), phase) != 0)
    vr_progress_next (e->progress);
  /* The kill-anywhere trials stop an export at each step boundary. */
  vr_test_hook_stall (phase, e->cancellable);
  return !g_cancellable_set_error_if_cancelled (e->cancellable, error);
}

static gboolean
managed_save (Export *e, GError **error)
{
  if (!e->running)
    return TRUE;
  if (!step (e, "save", error))
    return FALSE;
  if (virDomainManagedSave (e->dom, 0) < 0)
    {
      vr_libvirt_set_error (error, "cannot save the state of '%s'",
                            name_of (e));
      return FALSE;
    }
  e->result->saved = TRUE;
  return TRUE;
}

static gboolean
write_domain_xml (Export *e, GError **error)
{
  g_autofree char *xml = NULL;

  if (!step (e, "xml", error))
    return FALSE;
  for (guint i = 0; i < e->disks->len; i++)
    {
      VrExportDisk *disk = e->disks->pdata[i];
      g_autofree char *relpath = g_build_filename (VR_IMPORT_DISKS_DIR,
                                                   disk->name, NULL);

      if (disk->source != NULL)
        xmlSetProp (disk->source, (const xmlChar *) "file",
                    (const xmlChar *) relpath);
    }
  xml = vr_xml_to_string (e->doc);
  return write_file (e, VR_IMPORT_DOMAIN_XML, xml, error);
}

static void
save_progress (guint64 done, guint64 total, gpointer user_data)
{
  vr_progress_set_bytes (((Export *) user_data)->progress, done, total);
  vr_test_hook_slow_copy ();
}

/* The file must hold this domain's finished save: a half-written one
 * (libvirt's LibvirtQemudPart) or another guest's is no export. */
static gboolean
check_save_image (Export *e, int fd, GError **error)
{
  g_autoptr (VrSaveImage) image = vr_save_image_read_fd (fd, e->save_src,
                                                         error);

  if (image == NULL)
    return FALSE;
  if (g_str_equal (image->name, name_of (e))
      && g_strcmp0 (image->uuid, e->result->uuid) == 0)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "%s belongs to domain '%s' (UUID %s), not to '%s'",
               e->save_src, image->name, image->uuid, name_of (e));
  return FALSE;
}

static gboolean download_save (Export *e, GError **error);

static gboolean
copy_save (Export *e, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s.save", name_of (e));
  VrCopyResult copied = { 0 };
  int fd;
  gboolean ok;

  if (e->save_src == NULL)
    return TRUE;
  if (e->remote)
    return download_save (e, error);
  if (!step (e, "copy", error))
    return FALSE;
  fd = open (e->save_src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open the saved state %s",
                          e->save_src);
      return FALSE;
    }
  ok = check_save_image (e, fd, error)
       && vr_copy_fd_to (fd, e->dir_fd, name, EXPORT_FILE_MODE,
                         e->options->copy_flags, e->cancellable,
                         save_progress, e, &copied, error);
  close (fd);
  if (!ok)
    return FALSE;
  g_ptr_array_add (e->written, g_strdup (name));
  e->result->save_file = g_steal_pointer (&name);
  e->result->bytes += copied.size;
  return TRUE;
}

/* From another host: downloaded through a volume there, then checked
 * here as a local one is before its copy. */
static gboolean
download_save (Export *e, GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s.save", name_of (e));
  guint64 size = 0;
  gboolean ok;
  int fd;

  if (!step (e, "copy", error))
    return FALSE;
  /* Listed before it exists: a failure midway must not leave it. */
  g_ptr_array_add (e->written, g_strdup (name));
  if (!vr_export_remote_save (e->conn, e->dom, e->dir_fd, name,
                              e->cancellable, save_progress, e, &size,
                              error))
    return FALSE;
  fd = openat (e->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s/%s", e->path, name);
      return FALSE;
    }
  ok = check_save_image (e, fd, error);
  close (fd);
  if (!ok)
    return FALSE;
  e->result->save_file = g_steal_pointer (&name);
  e->result->bytes += size;
  return TRUE;
}

/* Each disk's copy counts its data extents: the child step (weighed by
 * the disk's apparent size) scales that into its share of the bytes. */
static void
disk_progress (guint64 done, guint64 total, gpointer user_data)
{
  vr_progress_set_bytes (((Export *) user_data)->disk_steps, done, total);
  vr_test_hook_slow_copy ();
}

static gboolean
open_disks_dir (Export *e, GError **error)
{
  if (mkdirat (e->dir_fd, VR_IMPORT_DISKS_DIR, EXPORT_DIR_MODE) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s", e->path,
                          VR_IMPORT_DISKS_DIR);
      return FALSE;
    }
  g_ptr_array_add (e->written, g_strdup (VR_IMPORT_DISKS_DIR));
  fchmodat (e->dir_fd, VR_IMPORT_DISKS_DIR, EXPORT_DIR_MODE, 0);
  e->disks_fd = openat (e->dir_fd, VR_IMPORT_DISKS_DIR,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (e->disks_fd >= 0)
    return TRUE;
  vr_error_set_errno (error, errno, "cannot open %s/%s", e->path,
                      VR_IMPORT_DISKS_DIR);
  return FALSE;
}

/* A copy in a chain names the next copy by its name beside it: the
 * chain holds wherever DIR goes. */
static gboolean
link_backing (Export *e, VrExportDisk *disk, GError **error)
{
  g_autofree char *copy = NULL;

  if (disk->backing_name == NULL)
    return TRUE;
  copy = g_build_filename (e->path, VR_IMPORT_DISKS_DIR, disk->name, NULL);
  return vr_qcow2_set_backing (copy, disk->backing_name, disk->backing_format,
                               error);
}

/* From another host: downloaded from its volume (export-remote-disks.c). */
static gboolean
download_disk (Export *e, VrExportDisk *disk, GError **error)
{
  guint64 size = 0;

  vr_progress_next (e->disk_steps);
  /* Listed before it exists: a failure midway must not leave it. */
  g_ptr_array_add (e->written, g_build_filename (VR_IMPORT_DISKS_DIR,
                                                 disk->name, NULL));
  if (!vr_export_remote_disk (e->conn, disk, e->disks_fd, e->cancellable,
                              disk_progress, e, &size, error))
    {
      g_prefix_error (error, "downloading %s into %s/%s: ", disk->path,
                      e->path, VR_IMPORT_DISKS_DIR);
      return FALSE;
    }
  e->result->bytes += size;
  e->result->disks++;
  return TRUE;
}

static gboolean
copy_disk (Export *e, VrExportDisk *disk, GError **error)
{
  VrCopyResult copied = { 0 };
  int fd;
  gboolean ok;

  if (e->remote)
    return download_disk (e, disk, error);
  fd = open (disk->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", disk->path);
      return FALSE;
    }
  vr_progress_next (e->disk_steps);
  ok = vr_copy_fd_to (fd, e->disks_fd, disk->name, EXPORT_FILE_MODE,
                      e->options->copy_flags, e->cancellable, disk_progress,
                      e, &copied, error);
  close (fd);
  if (!ok)
    {
      g_prefix_error (error, "copying %s into %s/%s: ", disk->path, e->path,
                      VR_IMPORT_DISKS_DIR);
      return FALSE;
    }
  g_ptr_array_add (e->written, g_build_filename (VR_IMPORT_DISKS_DIR,
                                                 disk->name, NULL));
  if (!link_backing (e, disk, error))
    return FALSE;
  e->result->bytes += copied.size;
  e->result->disks++;
  return TRUE;
}

static gboolean
copy_disks (Export *e, GError **error)
{
  if (e->disks->len == 0)
    return TRUE;
  if (!step (e, "disks", error) || !open_disks_dir (e, error))
    return FALSE;
  e->disk_steps = vr_progress_get_child (e->progress);
  for (guint i = 0; i < e->disks->len; i++)
    {
      VrExportDisk *disk = e->disks->pdata[i];

      vr_progress_add_step_bytes (e->disk_steps, disk->name, disk->size);
    }
  for (guint i = 0; i < e->disks->len; i++)
    if (!copy_disk (e, e->disks->pdata[i], error))
      return FALSE;
  return TRUE;
}

/* After the managed save: swtpm has written its state and stopped. */
static gboolean
copy_firmware (Export *e, GError **error)
{
  VrExportTarget target = { .path = e->path, .dir_fd = e->dir_fd,
                            .written = e->written,
                            .bytes = &e->result->bytes,
                            .copy_flags = e->options->copy_flags,
                            .cancellable = e->cancellable };

  if (e->firmware.nvram_path == NULL && e->firmware.tpm_dir == NULL)
    return TRUE;
  if (!step (e, "firmware", error)
      || !vr_export_copy_firmware (&target, &e->firmware, error))
    return FALSE;
  e->result->nvram = e->firmware.nvram_path != NULL;
  e->result->tpm = e->firmware.tpm_dir != NULL;
  return TRUE;
}

static gboolean
copy_snapshots (Export *e, GError **error)
{
  VrExportTarget target = { .path = e->path, .dir_fd = e->dir_fd,
                            .written = e->written,
                            .bytes = &e->result->bytes,
                            .copy_flags = e->options->copy_flags,
                            .cancellable = e->cancellable };

  if (!e->options->with_disks)
    return TRUE;
  return vr_export_snapshots (&target, e->dom, e->disks,
                              &e->result->snapshots, error);
}

static gboolean
write_manifest (Export *e, GError **error)
{
  g_autofree char *xml = NULL;

  if (!step (e, "manifest", error))
    return FALSE;
  xml = vr_manifest_build (e->dir_fd, e->path, e->progress, e->cancellable,
                           error);
  if (xml == NULL || !write_file (e, VR_IMPORT_MANIFEST, xml, error))
    return FALSE;
  if (fsync (e->dir_fd) == 0)
    return TRUE;
  vr_error_set_errno (error, errno, "cannot sync %s", e->path);
  return FALSE;
}

/* Removes what this export made, newest first, and path when it made it;
 * a domain it saved is started again, so that it resumes as it was. */
static void
roll_back (Export *e)
{
  for (guint i = e->written->len; i > 0; i--)
    {
      const char *name = e->written->pdata[i - 1];

      /* Newest first: a folder's files are gone before the folder. */
      int rc = unlinkat (e->dir_fd, name, 0);

      if (rc < 0 && errno == EISDIR)
        rc = unlinkat (e->dir_fd, name, AT_REMOVEDIR);
      if (rc < 0 && errno != ENOENT)
        g_warning ("cannot remove %s/%s: %s", e->path, name,
                   g_strerror (errno));
    }
  if (e->created && rmdir (e->path) < 0)
    g_warning ("cannot remove %s: %s", e->path, g_strerror (errno));
  if (e->result->saved && virDomainCreate (e->dom) < 0)
    g_warning ("cannot start '%s' again after the failed export",
               name_of (e));
}

/* The manifest hashes every byte the copies wrote, reading each once as
 * they did: a step weighed as they are together, not a sliver at the end
 * (the bar sat at 96% for the whole hashing). */
static void
add_steps (Export *e)
{
  guint copies = 0;

  if (e->running)
    vr_progress_add_step (e->progress, "save", 10);
  vr_progress_add_step (e->progress, "xml", 1);
  if (e->save_src != NULL)
    {
      vr_progress_add_step (e->progress, "copy", 40);
      copies += 40;
    }
  if (e->disks->len > 0)
    {
      vr_progress_add_step (e->progress, "disks", 45);
      copies += 45;
    }
  if (e->firmware.nvram_path != NULL || e->firmware.tpm_dir != NULL)
    {
      vr_progress_add_step (e->progress, "firmware", 1);
      copies += 1;
    }
  vr_progress_add_step (e->progress, "manifest", MAX (copies, 4));
}

/* Snapshots live in the disks: without them their metadata would name
 * data that is not there. */
static void
note_snapshots_left (Export *e)
{
  int count = e->options->with_disks ? 0 : virDomainSnapshotNum (e->dom, 0);

  if (count > 0)
    g_ptr_array_add (e->result->notes,
                     g_strdup_printf ("%d snapshot%s of '%s' not exported: "
                                      "they travel with the disks "
                                      "(--with-disks)", count,
                                      count > 1 ? "s" : "", name_of (e)));
}

/* Everything that can refuse the export, before anything is written. */
static gboolean
prepare (Export *e, const char *domain, GError **error)
{
  e->remote = vr_connection_is_remote (e->conn);
  if (!lookup_domain (e, domain, error) || !check_persistent (e, error)
      || !read_domain_xml (e, error))
    return FALSE;
  /* Another host's UEFI and TPM files cannot be carried, but for a store
   * that is a volume there (export-remote.c). */
  if (e->remote
      && !vr_export_remote_check_firmware (e->conn, e->doc, name_of (e),
                                           e->result->uuid, &e->firmware,
                                           error))
    return FALSE;
  e->disks = e->options->with_disks
                 ? vr_export_plan_disks (e->doc, e->remote ? e->conn : NULL,
                                         e->result->notes, error)
                 : g_ptr_array_new ();
  if (e->disks == NULL || !check_state (e, error))
    return FALSE;
  if (!e->remote)
    vr_export_plan_firmware (e->conn, e->doc, name_of (e), e->result->uuid,
                             &e->firmware, e->result->notes);
  note_snapshots_left (e);
  return TRUE;
}

static gboolean
run (Export *e, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (make_target (e, &local) && managed_save (e, &local)
      && write_domain_xml (e, &local) && copy_save (e, &local)
      && copy_disks (e, &local) && copy_firmware (e, &local)
      && copy_snapshots (e, &local)
      && write_manifest (e, &local))
    return TRUE;
  roll_back (e);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static VrExportResult *
export_run (Export *e, const char *domain, GError **error)
{
  VrExportResult *result = NULL;

  e->result = g_new0 (VrExportResult, 1);
  e->result->notes = g_ptr_array_new_with_free_func (g_free);
  e->written = g_ptr_array_new_with_free_func (g_free);
  if (prepare (e, domain, error))
    {
      add_steps (e);
      if (run (e, error))
        {
          vr_progress_finish (e->progress);
          result = g_steal_pointer (&e->result);
        }
    }
  export_clear (e);
  return result;
}

VrExportResult *
vr_export (virConnectPtr conn, const char *domain, const char *path,
           const VrExportOptions *options, VrProgress *progress,
           GCancellable *cancellable, GError **error)
{
  Export e = { .conn = conn, .options = options, .progress = progress,
               .cancellable = cancellable, .path = path, .dir_fd = -1,
               .disks_fd = -1 };

  return export_run (&e, domain, error);
}

static char *
fd_path (int fd)
{
  g_autofree char *link = g_strdup_printf ("/proc/self/fd/%d", fd);
  char *path = g_file_read_link (link, NULL);

  return path ? path : g_strdup_printf ("(export directory fd %d)", fd);
}

VrExportResult *
vr_export_to_fd (virConnectPtr conn, const char *domain, int dir_fd,
                 const VrExportOptions *options, VrProgress *progress,
                 GCancellable *cancellable, GError **error)
{
  g_autofree char *path = NULL;
  Export e = { .conn = conn, .options = options, .progress = progress,
               .cancellable = cancellable, .disks_fd = -1 };

  e.dir_fd = fcntl (dir_fd, F_DUPFD_CLOEXEC, 3);
  if (e.dir_fd < 0)
    {
      vr_error_set_errno (error, errno, "export directory");
      return NULL;
    }
  path = fd_path (e.dir_fd);
  e.path = path;
  return export_run (&e, domain, error);
}
