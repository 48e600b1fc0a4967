/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "pool.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "errors.h"
#include "handoff.h"
#include "libvirt-util.h"
#include "realize-remote.h"
#include "safe-xml.h"

static char *
pool_target (virStoragePoolPtr pool, const char *name, GError **error)
{
  g_autofree char *xml = virStoragePoolGetXMLDesc (pool, 0);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *type = NULL;
  g_autofree char *path = NULL;

  if (xml == NULL)
    {
      vr_libvirt_set_error (error, "cannot read storage pool '%s'", name);
      return NULL;
    }
  doc = vr_xml_parse_buffer (xml, strlen (xml), name, "pool", error);
  if (doc == NULL)
    return NULL;
  type = vr_xml_xpath_string (doc, "string(/pool/@type)");
  path = vr_xml_xpath_string (doc, "string(/pool/target/path)");
  if (path == NULL || !g_strv_contains ((const char *const[]){ "dir", "fs",
                                                              "netfs", NULL },
                                        type ? type : ""))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "storage pool '%s' is of type '%s'; a directory pool "
                   "(dir, fs, netfs) is needed", name, type ? type : "?");
      return NULL;
    }
  return g_steal_pointer (&path);
}

/* pool-dir is a folder of this host: no advice for a remote one. */
static char *
named_pool_dir (virConnectPtr conn, const char *name, GError **error)
{
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (conn, name);
  g_autofree char *virsh = NULL;

  if (pool == NULL && vr_connection_is_remote (conn))
    {
      /* Taken before virsh_on's calls reset it. */
      virErrorPtr saved = virSaveLastError ();

      virsh = vr_libvirt_virsh_on (conn);
      vr_libvirt_set_saved_error (saved, error, "no storage pool '%s' on the remote host "
                            "(define and start one there: %s pool-define-as "
                            "%s dir --target DIR, pool-start %s; or name an "
                            "active directory pool there with the pool "
                            "option)", name, virsh, name, name);
      return NULL;
    }
  if (pool == NULL)
    {
      vr_libvirt_set_error (error, "no storage pool '%s' (use the pool-dir "
                            "option on connections without storage)", name);
      return NULL;
    }
  if (virStoragePoolIsActive (pool) != 1)
    {
      virsh = vr_libvirt_virsh_on (conn);
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "storage pool '%s' is not active (%s pool-start %s)",
                   name, virsh, name);
      return NULL;
    }
  return pool_target (pool, name, error);
}

/* Embedded roots keep images beside their save directory, so a link
 * hand-off never crosses a filesystem. */
static char *
default_dir (virConnectPtr conn, GError **error)
{
  g_autofree char *save_dir = vr_handoff_save_dir (conn);
  g_autofree char *uri = virConnectGetURI (conn);
  g_autofree char *qemu = NULL;
  g_autofree char *lib = NULL;
  g_autofree char *dir = NULL;

  if (save_dir == NULL || !g_str_has_prefix (uri ? uri : "", "qemu:///embed"))
    return named_pool_dir (conn, VR_POOL_DEFAULT, error);
  qemu = g_path_get_dirname (save_dir);
  lib = g_path_get_dirname (qemu);
  /* ROOT/lib/libvirt/images, as /var/lib/libvirt/images on a host. */
  dir = g_build_filename (lib, "libvirt", "images", NULL);
  if (g_mkdir_with_parents (dir, 0711) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create pool directory %s",
                          dir);
      return NULL;
    }
  return g_steal_pointer (&dir);
}

char *
vr_pool_resolve_dir (virConnectPtr conn, const char *pool,
                     const char *pool_dir, GError **error)
{
  if (pool != NULL && pool_dir != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "the pool and pool-dir options exclude each other");
      return NULL;
    }
  if (pool != NULL)
    return named_pool_dir (conn, pool, error);
  if (pool_dir == NULL)
    return default_dir (conn, error);
  if (!g_file_test (pool_dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "pool directory %s: %s", pool_dir,
                   g_file_test (pool_dir, G_FILE_TEST_EXISTS)
                       ? "not a directory" : "no such directory");
      return NULL;
    }
  return g_canonicalize_filename (pool_dir, NULL);
}

void
vr_pool_refresh (virConnectPtr conn, const char *pool)
{
  g_autoptr (virStoragePool) p = NULL;

  if (pool == NULL)
    return;
  p = virStoragePoolLookupByName (conn, pool);
  if (p != NULL)
    virStoragePoolRefresh (p, 0);
}
