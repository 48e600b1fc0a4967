/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "export-private.h"
#include "import-dir.h"
#include "import-firmware.h"
#include "safe-xml.h"
#include "state-paths.h"

#define EXPORT_DIR_MODE 0755

void
vr_export_firmware_clear (VrExportFirmware *fw)
{
  g_clear_pointer (&fw->nvram_path, g_free);
  g_clear_pointer (&fw->tpm_dir, g_free);
  g_clear_pointer (&fw->tpm_folder, g_free);
  g_clear_pointer (&fw->nvram_conn, virConnectClose);
}

static void add_note (GPtrArray *notes, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

static void
add_note (GPtrArray *notes, const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  g_ptr_array_add (notes, g_strdup_vprintf (format, ap));
  va_end (ap);
}

/* The store libvirt names in the XML, else its default for the domain
 * (firmware auto-selection fills the path in only while it runs). */
static void
plan_nvram (virConnectPtr conn, xmlDoc *doc, const char *name,
            VrExportFirmware *fw, GPtrArray *notes)
{
  g_autofree char *path = vr_xml_xpath_string (doc, "string(/domain/os/nvram)");

  if (!vr_domain_uses_nvram (doc))
    return;
  if (path == NULL)
    path = vr_state_nvram_path (conn, name);
  if (path == NULL)
    {
      add_note (notes,
                "the UEFI variable store of '%s' is on the "
                "connection's host and is not exported: export on that host "
                "to carry it",
                name);
      return;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      add_note (notes,
                "there is no UEFI variable store (%s) yet: the "
                "guest gets a fresh one from the template where it is "
                "realized",
                path);
      return;
    }
  fw->nvram_path = g_steal_pointer (&path);
}

static void
plan_tpm (virConnectPtr conn, xmlDoc *doc, const char *name, const char *uuid,
          VrExportFirmware *fw, GPtrArray *notes)
{
  g_autofree char *version = vr_domain_tpm_version (doc);
  g_autofree char *swtpm = NULL;
  g_autofree char *dir = NULL;

  if (version == NULL)
    return;
  swtpm = vr_state_swtpm_dir (conn);
  if (swtpm == NULL)
    {
      add_note (notes,
                "the TPM state of '%s' is on the connection's host "
                "and is not exported: export on that host to carry it",
                name);
      return;
    }
  fw->tpm_folder = g_strdup (vr_tpm_state_folder (version));
  dir = g_build_filename (swtpm, uuid, fw->tpm_folder, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      add_note (notes,
                "there is no TPM state (%s) yet: the guest gets a "
                "new TPM where it is realized",
                dir);
      return;
    }
  fw->tpm_dir = g_steal_pointer (&dir);
}

void
vr_export_plan_firmware (virConnectPtr conn, xmlDoc *doc, const char *name,
                         const char *uuid, VrExportFirmware *fw,
                         GPtrArray *notes)
{
  plan_nvram (conn, doc, name, fw, notes);
  plan_tpm (conn, doc, name, uuid, fw, notes);
}

static int
make_subdir (VrExportTarget *t, int at, const char *relpath, GError **error)
{
  g_autofree char *base = g_path_get_basename (relpath);
  int fd;

  if (mkdirat (at, base, EXPORT_DIR_MODE) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s", t->path,
                          relpath);
      return -1;
    }
  g_ptr_array_add (t->written, g_strdup (relpath));
  fchmodat (at, base, EXPORT_DIR_MODE, 0);
  fd = openat (at, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    vr_error_set_errno (error, errno, "cannot open %s/%s", t->path, relpath);
  return fd;
}

/* One file, its mode kept: swtpm wants its state for its user only. */
static gboolean
copy_one (VrExportTarget *t, int src_at, const char *src_name,
          const char *src_display, int dst_at, const char *relpath,
          GError **error)
{
  g_autofree char *base = g_path_get_basename (relpath);
  VrCopyResult copied = { 0 };
  struct stat st;
  int fd = openat (src_at, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  gboolean ok;

  if (fd < 0 || fstat (fd, &st) < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", src_display);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  ok = vr_copy_fd_to (fd, dst_at, base, (st.st_mode & 0777) | 0600,
                      t->copy_flags, t->cancellable, NULL, NULL, &copied,
                      error);
  close (fd);
  if (!ok)
    {
      g_prefix_error (error, "copying %s into %s/%s: ", src_display, t->path,
                      relpath);
      return FALSE;
    }
  g_ptr_array_add (t->written, g_strdup (relpath));
  *t->bytes += copied.size;
  return TRUE;
}

/* Another host's store, a volume there (export-remote.c). */
static gboolean
download_nvram (VrExportTarget *t, const VrExportFirmware *fw, int dir_fd,
                const char *relpath, GError **error)
{
  g_autofree char *base = g_path_get_basename (relpath);
  guint64 size = 0;

  /* Listed before it exists: a failure midway must not leave it. */
  g_ptr_array_add (t->written, g_strdup (relpath));
  if (!vr_export_remote_nvram (fw->nvram_conn, fw->nvram_path, dir_fd, base,
                               t->cancellable, &size, error))
    {
      g_prefix_error (error, "downloading %s into %s/%s: ", fw->nvram_path,
                      t->path, relpath);
      return FALSE;
    }
  *t->bytes += size;
  return TRUE;
}

static gboolean
copy_nvram (VrExportTarget *t, const VrExportFirmware *fw, GError **error)
{
  g_autofree char *base = g_path_get_basename (fw->nvram_path);
  g_autofree char *relpath = g_build_filename (VR_IMPORT_NVRAM_DIR, base, NULL);
  int dir_fd = make_subdir (t, t->dir_fd, VR_IMPORT_NVRAM_DIR, error);
  gboolean ok;

  if (dir_fd < 0)
    return FALSE;
  if (fw->nvram_conn != NULL)
    ok = download_nvram (t, fw, dir_fd, relpath, error);
  else
    ok = copy_one (t, AT_FDCWD, fw->nvram_path, fw->nvram_path, dir_fd,
                   relpath, error);
  close (dir_fd);
  return ok;
}

/* Every file of swtpm's folder but its lock (empty, swtpm's own). */
static gboolean
copy_tpm_files (VrExportTarget *t, const VrExportFirmware *fw, int dst_fd,
                GError **error)
{
  int src_fd = open (fw->tpm_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = src_fd >= 0 ? fdopendir (src_fd) : NULL;
  struct dirent *item;
  gboolean ok = TRUE;

  if (d == NULL)
    {
      vr_error_set_errno (error, errno, "cannot list the TPM state %s",
                          fw->tpm_dir);
      if (src_fd >= 0)
        close (src_fd);
      return FALSE;
    }
  while (ok && (item = readdir (d)) != NULL)
    {
      g_autofree char *display = NULL;
      g_autofree char *relpath = NULL;

      if (item->d_name[0] == '.')
        continue;
      display = g_build_filename (fw->tpm_dir, item->d_name, NULL);
      relpath = g_build_filename (VR_IMPORT_TPM_DIR, fw->tpm_folder,
                                  item->d_name, NULL);
      ok = copy_one (t, dirfd (d), item->d_name, display, dst_fd, relpath,
                     error);
    }
  closedir (d);
  return ok;
}

static gboolean
copy_tpm (VrExportTarget *t, const VrExportFirmware *fw, GError **error)
{
  g_autofree char *folder
      = g_build_filename (VR_IMPORT_TPM_DIR, fw->tpm_folder, NULL);
  int top = make_subdir (t, t->dir_fd, VR_IMPORT_TPM_DIR, error);
  int sub = top >= 0 ? make_subdir (t, top, folder, error) : -1;
  gboolean ok = sub >= 0 && copy_tpm_files (t, fw, sub, error);

  if (top >= 0)
    close (top);
  if (sub >= 0)
    close (sub);
  return ok;
}

gboolean
vr_export_copy_firmware (VrExportTarget *t, const VrExportFirmware *fw,
                         GError **error)
{
  return (fw->nvram_path == NULL || copy_nvram (t, fw, error))
         && (fw->tpm_dir == NULL || copy_tpm (t, fw, error));
}
