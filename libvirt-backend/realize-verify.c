/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What resumes is what was exported: the bytes a realize copied are
 * checked against the import directory's manifest (their SHA-256, taken
 * while the copy read them) or, without one, against what the import saw,
 * before anything is defined. */
#include "config.h"

#include "errors.h"
#include "manifest.h"
#include "realize-private.h"

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
