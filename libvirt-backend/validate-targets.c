/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where the realize will write: the pool directory it copies into and
 * libvirt's save directory, checked as realize checks them (realize.c:
 * open_pool, open_save_dir), so that validate does not say "fits" where
 * realize then refuses. Nothing is created or written here. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "handoff.h"
#include "libvirt-util.h"
#include "pool.h"
#include "realize-remote.h"
#include "validate-private.h"

/* The directory realize copies into without --pool/--pool-dir: an
 * embedded root's ROOT/lib/libvirt/images (beside its save directory),
 * else the "default" storage pool's. Not created (realize does that). */
static char *
default_pool_dir (virConnectPtr conn)
{
  g_autofree char *save = vr_handoff_save_dir (conn);
  g_autofree char *uri = virConnectGetURI (conn);
  g_autofree char *qemu = NULL;
  g_autofree char *lib = NULL;

  if (save == NULL || !g_str_has_prefix (uri ? uri : "", "qemu:///embed"))
    return vr_pool_resolve_dir (conn, VR_POOL_DEFAULT, NULL, NULL);
  qemu = g_path_get_dirname (save);
  lib = g_path_get_dirname (qemu);
  return g_build_filename (lib, "libvirt", "images", NULL);
}

/* A pool that is the import directory, lies inside it or contains it is
 * refused by realize (the copies would be made among their sources). */
static void
check_pool (VrValidation *v, virConnectPtr conn)
{
  g_autofree char *pool = v->options.pool_dir
                              ? g_strdup (v->options.pool_dir)
                              : default_pool_dir (conn);
  guint64 dev = 0;
  guint64 ino = 0;
  gboolean inside = FALSE;
  gboolean contains = FALSE;
  int fd;

  if (pool == NULL || v->dir == NULL || v->dir->fd < 0)
    return;
  fd = vr_open_dir (pool, &dev, &ino);
  if (fd < 0)
    return;
  if (!vr_dir_is_within (fd, v->dir->dev, v->dir->ino, &inside))
    inside = FALSE;
  if (!inside && !vr_dir_is_within (v->dir->fd, dev, ino, &contains))
    contains = FALSE;
  close (fd);
  if (!inside && !contains)
    return;
  vr_validation_add (
      v, VR_FINDING_POOL_OVERLAP, NULL,
      "realize into a pool directory (or a libvirt pool) outside the import "
      "directory, or move the import directory out of the pool and import "
      "it again",
      "pool directory %s %s the import directory %s: realize refuses to "
      "copy among the files it copies from", pool,
      contains ? "contains"
               : (dev == v->dir->dev && ino == v->dir->ino ? "is"
                                                           : "is inside"),
      v->dir->path);
}

/* The saved state becomes SAVEDIR/NAME.save; a file already there that no
 * domain of that name owns is in the way (realize refuses it, and never
 * replaces it). */
static void
check_save_dir (VrValidation *v, virConnectPtr conn)
{
  g_autofree char *path = NULL;
  g_autoptr (virDomain) dom = NULL;
  struct stat st;

  if (v->save_file == NULL || !v->check_save || v->name == NULL)
    return;
  path = vr_handoff_managed_save_path (conn, v->name);
  if (path == NULL || lstat (path, &st) != 0)
    return;
  /* A defined domain of that name owns it (and is its own finding). */
  dom = virDomainLookupByName (conn, v->name);
  if (dom != NULL)
    return;
  vr_validation_add (
      v, VR_FINDING_SAVE_DIR_TAKEN, vr_validation_node (v, "/domain/name"),
      "move it away (a domain undefined without --managed-save leaves its "
      "saved state there: if it is this VM's old one, it is safe to "
      "delete), then realize",
      "%s exists already and belongs to no defined domain: the saved state "
      "cannot be handed to libvirt under that name", path);
}

/* A realize onto a remote host uploads the saved state (and a UEFI
 * variable store) into a pool there (realize-remote.c): the pool it
 * names (else "default") must be defined and active on that host. A
 * --pool-dir without --pool is a folder of this host (a daemon behind a
 * local socket): check_pool's. */
static void
check_remote_pool (VrValidation *v, virConnectPtr conn)
{
  const char *name = v->options.pool ? v->options.pool : VR_POOL_DEFAULT;
  g_autoptr (virStoragePool) pool = NULL;
  g_autofree char *virsh = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *hint = NULL;
  gboolean uploads = v->save_file != NULL
                     || (v->system != NULL
                         && vr_planned_system_get_nvram_file (v->system));

  if (!uploads || (v->options.pool == NULL && v->options.pool_dir != NULL)
      || !vr_connection_is_remote (conn))
    return;
  pool = virStoragePoolLookupByName (conn, name);
  if (pool != NULL && virStoragePoolIsActive (pool) == 1)
    return;
  virsh = vr_libvirt_virsh_on (conn);
  /* Quoted for the shell only when it needs it ("default" as is). */
  quoted = strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789-_.") == strlen (name)
               ? g_strdup (name)
               : g_shell_quote (name);
  hint = pool != NULL
             ? g_strdup_printf ("%s pool-start %s; or realize with --pool "
                                "NAME, an active directory pool there",
                                virsh, quoted)
             : g_strdup_printf ("%s pool-define-as %s dir --target DIR, then "
                                "pool-build, pool-start and pool-autostart "
                                "%s; or realize with --pool NAME, an active "
                                "directory pool there", virsh, quoted, quoted);
  vr_validation_add (v, VR_FINDING_REMOTE_POOL, NULL, hint,
                     "storage pool '%s' %s on the remote host: a realize "
                     "there uploads the saved state into it", name,
                     pool != NULL ? "is not active" : "does not exist");
}

void
vr_validate_targets (VrValidation *v)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);

  if (conn == NULL)
    return;
  check_pool (v, conn);
  check_remote_pool (v, conn);
  check_save_dir (v, conn);
}
