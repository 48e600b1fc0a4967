/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "handoff.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "copy.h"
#include "errors.h"
#include "libvirt-util.h"

static const char *const names[] = {
  [VR_HANDOFF_AUTO] = "auto",
  [VR_HANDOFF_LINK] = "link",
  [VR_HANDOFF_MANAGED_SAVE] = "managedsave",
};

const char *
vr_handoff_to_string (VrHandoff handoff)
{
  return names[handoff];
}

gboolean
vr_handoff_from_string (const char *text, VrHandoff *handoff)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      {
        *handoff = i;
        return TRUE;
      }
  return FALSE;
}

static char *
embedded_root (GUri *uri)
{
  g_autoptr (GHashTable) params = NULL;
  const char *query = g_uri_get_query (uri);

  if (query == NULL)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, "root"));
}

/* The save directories of libvirt's QEMU driver (qemu_conf.c,
 * virQEMUDriverConfigNew); remote hosts have none we can reach. */
char *
vr_handoff_save_dir (virConnectPtr conn)
{
  g_autofree char *text = virConnectGetURI (conn);
  g_autoptr (GUri) uri = text ? g_uri_parse (text, G_URI_FLAGS_NONE, NULL)
                              : NULL;
  g_autofree char *root = NULL;
  const char *path;

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "qemu") != 0
      || (g_uri_get_host (uri) != NULL && *g_uri_get_host (uri) != '\0'))
    return NULL;
  path = g_uri_get_path (uri);
  if (g_strcmp0 (path, "/embed") == 0)
    {
      root = embedded_root (uri);
      return root ? g_build_filename (root, "lib", "qemu", "save", NULL)
                  : NULL;
    }
  if (g_strcmp0 (path, "/system") == 0)
    return g_strdup ("/var/lib/libvirt/qemu/save");
  if (g_strcmp0 (path, "/session") == 0)
    return g_build_filename (g_get_user_config_dir (), "libvirt", "qemu",
                             "save", NULL);
  return NULL;
}

VrHandoff
vr_handoff_resolve (virConnectPtr conn, VrHandoff handoff)
{
  g_autofree char *dir = NULL;

  if (handoff != VR_HANDOFF_AUTO)
    return handoff;
  dir = vr_handoff_save_dir (conn);
  if (dir != NULL && access (dir, W_OK | X_OK) == 0)
    return VR_HANDOFF_LINK;
  return VR_HANDOFF_MANAGED_SAVE;
}

char *
vr_handoff_managed_save_path (virConnectPtr conn, const char *name)
{
  g_autofree char *dir = vr_handoff_save_dir (conn);
  g_autofree char *file = g_strdup_printf ("%s.save", name);

  return dir ? g_build_filename (dir, file, NULL) : NULL;
}

gboolean
vr_handoff_link (int pool_dir_fd, const char *pool_name, int save_dir_fd,
                 const char *save_name, const VrCopyExtra *extra,
                 GCancellable *cancellable, GError **error)
{
  int src;
  gboolean ok;

  /* linkat() appears whole or not at all, and never replaces a file. */
  if (linkat (pool_dir_fd, pool_name, save_dir_fd, save_name, 0) == 0)
    {
      if (fsync (save_dir_fd) == 0)
        return TRUE;
      vr_error_set_errno (error, errno, "cannot sync the save directory "
                          "after linking %s", save_name);
      return FALSE;
    }
  if (errno == EEXIST)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "%s exists already in libvirt's save directory: a "
                   "managed save of another domain is in the way", save_name);
      return FALSE;
    }
  if (errno != EXDEV)
    {
      vr_error_set_errno (error, errno, "cannot hand %s to libvirt as %s",
                          pool_name, save_name);
      return FALSE;
    }
  src = openat (pool_dir_fd, pool_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (src < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", pool_name);
      return FALSE;
    }
  ok = vr_copy_fd_to_extra (src, save_dir_fd, save_name, 0600, VR_COPY_NONE,
                            extra, cancellable, NULL, NULL, NULL, error);
  close (src);
  return ok;
}

gboolean
vr_handoff_managed_save (virConnectPtr conn, virDomainPtr dom,
                         const char *pool_file, const char *xml,
                         gboolean was_running, GError **error)
{
  /* Without SAVE_RUNNING the new image would record the paused state
   * the restore left, and start would leave the guest paused. */
  unsigned int save_flags = was_running ? VIR_DOMAIN_SAVE_RUNNING
                                        : VIR_DOMAIN_SAVE_PAUSED;

  if (virDomainRestoreFlags (conn, pool_file, xml, VIR_DOMAIN_SAVE_PAUSED) < 0)
    {
      vr_libvirt_set_error (error, "cannot restore %s", pool_file);
      return FALSE;
    }
  if (virDomainManagedSave (dom, save_flags) == 0)
    return TRUE;
  vr_libvirt_set_error (error, "cannot managed-save %s",
                        virDomainGetName (dom));
  virDomainDestroy (dom);
  return FALSE;
}
