/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What resumes is what was exported: the bytes a realize copied are
 * checked against the import directory's manifest (their SHA-256, taken
 * while the copy read them) or, without one, against what the import saw,
 * before anything is defined. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "errors.h"
#include "manifest.h"
#include "qcow2.h"
#include "realize-private.h"
#include "save-image.h"

VrSha256 *
vr_realize_checksum_for (Realize *r)
{
  return r->import->has_manifest ? vr_sha256_new () : NULL;
}

static gboolean
changed (Realize *r, const char *relpath, const char *what, GError **error)
{
  g_autofree char *path = vr_import_dir_describe (r->import, relpath);

  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s changed since it was %s; the realize stopped before "
               "defining the domain and nothing of it is left (destroy the "
               "planned system and export or import it again)", path, what);
  return FALSE;
}

static gboolean
verify_manifest (Realize *r, const char *relpath, guint64 size,
                 VrSha256 *checksum, GError **error)
{
  guint64 listed_size = 0;
  g_autofree char *listed = vr_manifest_sha256_of (r->import, relpath,
                                                   &listed_size, error);
  g_autofree char *what = NULL;

  if (listed == NULL)
    return FALSE;
  if (listed_size == size
      && g_str_equal (listed, vr_sha256_hex (checksum)))
    return TRUE;
  what = g_strdup_printf ("exported (manifest.xml lists %" G_GUINT64_FORMAT
                          " bytes, SHA-256 %s; the copy read %"
                          G_GUINT64_FORMAT " bytes, SHA-256 %s)",
                          listed_size, listed, size,
                          vr_sha256_hex (checksum));
  return changed (r, relpath, what, error);
}

gboolean
vr_realize_verify_source_size (Realize *r, const char *relpath,
                               guint64 size, GError **error)
{
  guint64 listed_size = 0;
  g_autofree char *listed = NULL;
  g_autofree char *what = NULL;

  if (!r->import->has_manifest)
    return TRUE;
  listed = vr_manifest_sha256_of (r->import, relpath, &listed_size, error);
  if (listed == NULL)
    return FALSE;
  if (listed_size == size)
    return TRUE;
  what = g_strdup_printf ("exported (manifest.xml lists %" G_GUINT64_FORMAT
                          " bytes, the file has %" G_GUINT64_FORMAT
                          " now: not copied)",
                          listed_size, size);
  return changed (r, relpath, what, error);
}

gboolean
vr_realize_verify_copy (Realize *r, const char *relpath, guint64 size,
                        VrSha256 *checksum, GError **error)
{
  g_autofree char *what = NULL;
  guint64 imported;

  if (checksum != NULL)
    return verify_manifest (r, relpath, size, checksum, error);
  /* Without a manifest: the save image's size and modification time the
   * import recorded (its header was read again when the import directory
   * was reopened). A write anywhere in it moves the modification time; a
   * copy is refused as another inode already. A chmod does not count. */
  if (g_strcmp0 (relpath, vr_planned_system_get_save_file (r->system)) != 0)
    return TRUE;
  imported = vr_planned_system_get_save_size (r->system);
  if (imported != 0 && imported != size)
    {
      what = g_strdup_printf ("imported (%" G_GUINT64_FORMAT " bytes then, %"
                              G_GUINT64_FORMAT " now)", imported, size);
      return changed (r, relpath, what, error);
    }
  /* With a manifest, the copy's SHA-256 decides (after the copy). */
  if (r->import->has_manifest
      || vr_planned_system_get_save_mtime_ns (r->system) == 0
      || vr_planned_system_get_save_mtime_ns (r->system)
             == r->import->save->file_mtime_ns)
    return TRUE;
  return changed (r, relpath, "imported (it was written to: its "
                  "modification time moved)",
                  error);
}

/* A name from a header is any bytes; a message stays UTF-8. */
static char *
quoted (const char *name)
{
  g_autofree char *valid = name ? g_utf8_make_valid (name, -1) : NULL;

  return valid ? g_strdup_printf ("'%s'", valid) : g_strdup ("none");
}

/* What the copy's header asks of the host beyond what plan_disk read in
 * the source's, or NULL when nothing. */
static char *
header_change (Realize *r, int fd, const char *format, const char *backing)
{
  g_auto (VrQcow2Info) info = { 0 };
  const char *now = vr_qcow2_format_of (fd);
  g_autofree char *then_named = quoted (backing);
  g_autofree char *now_named = NULL;

  vr_qcow2_read (fd, &info);
  if (!g_str_equal (now, format))
    return g_strdup_printf ("validated (a %s image then, its copy a %s "
                            "image)", format, now);
  now_named = quoted (info.backing);
  if (g_strcmp0 (info.backing, backing) != 0)
    return g_strdup_printf ("validated (its backing file: %s then, %s in "
                            "its copy, which libvirt would give QEMU)",
                            then_named, now_named);
  if (info.data_file && !r->options->host_access_allowed)
    return g_strdup ("validated (its copy is a qcow2 image with an "
                     "external data file: QEMU would open that host file "
                     "as the disk's data)");
  return NULL;
}

gboolean
vr_realize_verify_header (Realize *r, const char *relpath, int fd,
                          const char *format, const char *backing,
                          GError **error)
{
  g_autofree char *what = header_change (r, fd, format, backing);

  return what == NULL || changed (r, relpath, what, error);
}

gboolean
vr_realize_verify_image (Realize *r, GError **error)
{
  const VrSaveImage *judged = r->import->save;
  const char *relpath = vr_planned_system_get_save_file (r->system);
  /* One byte past the XML: the header must not end the file. */
  gsize length = VR_SAVE_IMAGE_HEADER_SIZE + (gsize) judged->data_len + 1;
  g_autoptr (VrSaveImage) copy = NULL;
  int fd;

  if (r->remote)
    fd = vr_realize_remote_read_head (r, r->pool_name, length, error);
  else if ((fd = openat (r->pool_fd, r->pool_name,
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    vr_error_set_errno (error, errno, "cannot open %s", r->pool_path);
  if (fd < 0)
    return FALSE;
  copy = vr_save_image_read_fd (fd, r->pool_path, error);
  close (fd);
  if (copy == NULL)
    return FALSE;
  if (vr_save_image_same_head (copy, judged))
    return TRUE;
  return changed (r, relpath, "validated (the copy's header holds another "
                  "domain XML than the one validation judged)", error);
}
