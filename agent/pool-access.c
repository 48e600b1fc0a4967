/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "pool-access.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"
#include "libvirt-util.h"
#include "safe-xml.h"

static gboolean
below (const char *path, const char *dir)
{
  g_autofree char *canonical = g_canonicalize_filename (dir, "/");
  gsize len = strlen (canonical);

  if (g_str_equal (canonical, "/"))
    return TRUE;
  return strncmp (path, canonical, len) == 0
         && (path[len] == '/' || path[len] == '\0');
}

/* The target path of every libvirt directory pool (none on a connection
 * without a storage driver). */
static gboolean
is_dir_pool (virConnectPtr conn, const char *path)
{
  virStoragePoolPtr *pools = NULL;
  int n = virConnectListAllStoragePools (conn, &pools,
                                         VIR_CONNECT_LIST_STORAGE_POOLS_DIR);
  gboolean found = FALSE;

  virResetLastError ();
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virStoragePoolGetXMLDesc (pools[i], 0);
      g_autoptr (xmlDoc) doc = xml ? vr_xml_parse_buffer (
          xml, strlen (xml), "pool", "pool", NULL) : NULL;
      g_autofree char *target = doc ? vr_xml_xpath_string (
          doc, "string(/pool/target/path)") : NULL;
      g_autofree char *canonical = target ? g_canonicalize_filename (
          target, "/") : NULL;

      if (canonical != NULL && g_str_equal (canonical, path))
        found = TRUE;
      virStoragePoolFree (pools[i]);
    }
  free (pools);
  return found;
}

gboolean
vr_pool_dir_check_caller (virConnectPtr conn, const char *path,
                          const char *const *allowed,
                          const char *config_path, guint64 *dev,
                          guint64 *ino, GError **error)
{
  g_autofree char *folded = g_canonicalize_filename (path, "/");
  g_autofree char *resolved = realpath (folded, NULL);
  struct stat st;

  /* Every step checked here is used again by path by the realize: a
   * link anywhere could point it elsewhere later. */
  if (resolved == NULL || lstat (folded, &st) < 0 || !S_ISDIR (st.st_mode)
      || !g_str_equal (resolved, folded))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "pool-dir '%s' is not a directory reached without "
                   "symbolic links%s%s", path, resolved ? "" : ": ",
                   resolved ? "" : g_strerror (errno));
      return FALSE;
    }
  *dev = st.st_dev;
  *ino = st.st_ino;
  for (guint i = 0; allowed != NULL && allowed[i] != NULL; i++)
    if (below (folded, allowed[i]))
      return TRUE;
  if (conn != NULL && is_dir_pool (conn, folded))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
               "pool-dir '%s' is neither a libvirt directory pool nor a "
               "directory that %s allows (PoolDirs): through the agent a "
               "realize may only write where the administrator said",
               path, config_path ? config_path : "agent.conf");
  return FALSE;
}
