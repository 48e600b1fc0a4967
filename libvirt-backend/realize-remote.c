/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The realize's target when the connection reaches libvirt on another
 * host (or through a transport): the pool is the remote host's, its files
 * are volumes made and filled over the connection, and the saved state is
 * handed to libvirt by a restore from the uploaded volume. Nothing is
 * written on this host but the journal. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "handoff.h"
#include "libvirt-util.h"
#include "pool.h"
#include "realize-private.h"
#include "realize-remote.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "volume-upload.h"

/* The parsed URI (NULL when none or unparsable) and whether it names a
 * host. */
static GUri *
parse_uri (const char *text, gboolean *names_host)
{
  GUri *uri = text ? g_uri_parse (text, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  *names_host = host != NULL && *host != '\0';
  return uri;
}

gboolean
vr_uri_is_remote (const char *text)
{
  gboolean names_host;
  g_autoptr (GUri) uri = parse_uri (text, &names_host);

  return uri != NULL
         && (strchr (g_uri_get_scheme (uri), '+') != NULL || names_host);
}

gboolean
vr_connection_is_remote (virConnectPtr conn)
{
  g_autofree char *text = virConnectGetURI (conn);

  return vr_uri_is_remote (text);
}

gboolean
vr_connection_names_host (virConnectPtr conn)
{
  g_autofree char *text = virConnectGetURI (conn);
  gboolean names_host;
  GUri *uri = parse_uri (text, &names_host);

  g_clear_pointer (&uri, g_uri_unref);
  return names_host;
}

/* TPM state is refused before anything is made: swtpm keeps it in the
 * remote libvirt's own folder (/var/lib/libvirt/swtpm/UUID, or below the
 * remote user's home for a session daemon), which no storage API reaches
 * and whose owner (tss) only a process on that host can set. A realize
 * run on that host places it. */
static gboolean
check_carried (Realize *r, GError **error)
{
  const char *folder = vr_planned_system_get_tpm_folder (r->system);
  const char *name = vr_realize_name (r);

  if (folder == NULL)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "planned system '%s' carries TPM state (%s/tpm/%s), which a "
               "realize onto a remote host cannot place: it belongs in that "
               "host's swtpm folder (/var/lib/libvirt/swtpm/%s), out of reach "
               "of libvirt's storage API. Carry the import directory and "
               "realize there: 'rsync -aS %s/ HOST:%s/', then 'ssh HOST "
               "virt-realize import %s' and 'ssh HOST virt-realize realize "
               "%s'; or import it here again with --new-id, which leaves the "
               "TPM state behind (the guest gets a new TPM)",
               name, r->import->path, folder,
               vr_planned_system_get_uuid (r->system), r->import->path,
               r->import->path, r->import->path, name);
  return FALSE;
}

gboolean
vr_realize_remote_open (Realize *r, GError **error)
{
  const char *name = r->options->pool ? r->options->pool : VR_POOL_DEFAULT;

  r->remote = TRUE;
  r->journal.remote_uri = virConnectGetURI (r->conn);
  if (r->options->handoff == VR_HANDOFF_LINK)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "handoff 'link': the remote host's save directory is not "
                   "reachable from here; a realize onto a remote host hands "
                   "the state over by a restore (managedsave)");
      return FALSE;
    }
  if (!check_carried (r, error))
    return FALSE;
  /* Nothing to upload, no pool needed. */
  if (vr_planned_system_get_save_file (r->system) == NULL
      && vr_planned_system_get_nvram_file (r->system) == NULL
      && !r->options->copy_disks)
    return TRUE;
  r->remote_dir = vr_pool_resolve_dir (r->conn, name, NULL, error);
  if (r->remote_dir == NULL)
    return FALSE;
  r->remote_pool = virStoragePoolLookupByName (r->conn, name);
  if (r->remote_pool == NULL)
    {
      vr_libvirt_set_error (error, "cannot open pool '%s'", name);
      return FALSE;
    }
  r->journal.remote_pool = g_strdup (name);
  return TRUE;
}

char *
vr_realize_pool_path (Realize *r, const char *name)
{
  return g_build_filename (r->remote_dir ? r->remote_dir
                                         : r->journal.pool.path,
                           name, NULL);
}

/* The volume's name is journaled before it is created and its key once it
 * is: undo deletes only a volume that this job made. */
static virStorageVolPtr
create_volume (Realize *r, const char *name, guint64 size, GError **error)
{
  VrJournalVolume *entry = vr_realize_journal_add_volume (&r->journal, name);
  virStorageVolPtr vol;
  const char *key;

  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return NULL;
  vol = vr_volume_create (r->remote_pool, name, size, error);
  if (vol == NULL)
    return NULL;
  key = virStorageVolGetKey (vol);
  entry->key = g_strdup (key ? key : "");
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error)
      || !vr_test_hook_fail ("journaled", error))
    {
      virStorageVolFree (vol);
      return NULL;
    }
  return vol;
}

static gboolean
upload (Realize *r, int src, const char *relpath, const char *name,
        VrCopyProgressFunc progress, GError **error)
{
  g_autoptr (VrSha256) checksum = vr_realize_checksum_for (r);
  g_autoptr (virStorageVol) vol = NULL;
  struct stat st;

  if (fstat (src, &st) != 0)
    {
      vr_error_set_errno (error, errno, "cannot read %s/%s", r->import->path,
                          relpath);
      return FALSE;
    }
  if (!vr_realize_verify_source_size (r, relpath, st.st_size, error))
    return FALSE;
  vol = create_volume (r, name, st.st_size, error);
  if (vol == NULL
      || !vr_volume_upload (r->conn, vol, src, st.st_size, checksum,
                            r->cancellable, progress, r, error)
      || !vr_volume_check (r->conn, vol, src, st.st_size, error))
    {
      g_prefix_error (error, "uploading %s/%s into pool '%s': ",
                      r->import->path, relpath, r->journal.remote_pool);
      return FALSE;
    }
  return vr_realize_verify_copy (r, relpath, st.st_size, checksum, error);
}

gboolean
vr_realize_remote_upload (Realize *r, int src, const char *relpath,
                          const char *name, char **chosen, GError **error)
{
  if (!upload (r, src, relpath, name, vr_realize_copy_progress, error))
    return FALSE;
  *chosen = g_strdup (name);
  return TRUE;
}

int
vr_realize_remote_read_head (Realize *r, const char *name, gsize length,
                             GError **error)
{
  g_autoptr (virStorageVol) vol = virStorageVolLookupByName (r->remote_pool,
                                                             name);

  if (vol != NULL)
    return vr_volume_read_head (r->conn, vol, length, error);
  vr_libvirt_set_error (error, "cannot open volume '%s' of pool '%s'", name,
                        r->journal.remote_pool);
  return -1;
}

/* The variable store becomes a volume NAME_VARS.fd of the remote pool and
 * <nvram> names its path there (libvirt takes any path): it is the
 * domain's from then on, as its disks are, and undo deletes it by the key
 * journaled (libvirt's undefine is told to keep NVRAM). A volume of that
 * name already there is never replaced: the creation fails. */
gboolean
vr_realize_remote_place_nvram (Realize *r, const char *relpath,
                               GError **error)
{
  g_autofree char *name = g_strdup_printf ("%s_VARS.fd",
                                           vr_realize_name (r));
  g_autofree char *path = NULL;
  int src = vr_import_dir_open_file (r->import, relpath, error);
  gboolean ok;

  if (src < 0)
    return FALSE;
  ok = upload (r, src, relpath, name, NULL, error);
  close (src);
  if (!ok)
    return FALSE;
  path = vr_realize_pool_path (r, name);
  vr_realize_set_nvram_path (r, path);
  return TRUE;
}

/* libvirt owns the state once the restore returned: a managed save
 * (paused restore + virDomainManagedSave, as the image ran or was paused)
 * or, with --start, the guest itself. The uploaded image is deleted
 * then; it is only a copy. */
gboolean
vr_realize_remote_hand_off (Realize *r, GError **error)
{
  const char *xml = r->image_xml ? r->image_xml : r->xml;
  gboolean running = vr_planned_system_get_save_was_running (r->system);
  g_autoptr (virStorageVol) vol = NULL;

  if (!r->options->start)
    {
      if (!vr_handoff_managed_save (r->conn, r->dom, r->pool_path, xml,
                                    running, error))
        return FALSE;
    }
  else if (virDomainRestoreFlags (r->conn, r->pool_path, xml,
                                  running ? 0 : VIR_DOMAIN_SAVE_PAUSED) < 0)
    {
      vr_libvirt_set_error (error, "cannot restore %s", r->pool_path);
      return FALSE;
    }
  else
    r->started = TRUE;
  r->journal.handed_off = TRUE;
  vol = virStorageVolLookupByName (r->remote_pool, r->pool_name);
  if (vol == NULL || virStorageVolDelete (vol, 0) < 0)
    g_warning ("cannot delete the uploaded copy %s of the saved state: %s",
               r->pool_path, virGetLastErrorMessage ());
  return TRUE;
}

static gboolean
unreachable (GError **error, const char *uri)
{
  vr_libvirt_set_error (error, "the remote libvirt %s is not reachable",
                        uri);
  if (error != NULL && *error != NULL)
    (*error)->code = VR_ERROR_NOT_AVAILABLE;
  return FALSE;
}

/* One volume, only while its name still has the key this job saw. */
static gboolean
undo_volume (virStoragePoolPtr pool, const VrJournalVolume *entry,
             const char *uri, GError **error)
{
  g_autoptr (virStorageVol) vol = NULL;
  virErrorPtr err;

  if (entry->key == NULL)
    {
      g_message ("volume '%s' may have been made by another: its creation "
                 "was not confirmed; it is left as it is", entry->name);
      return TRUE;
    }
  vol = virStorageVolLookupByName (pool, entry->name);
  if (vol == NULL)
    {
      err = virGetLastError ();
      if (err != NULL && err->code == VIR_ERR_NO_STORAGE_VOL)
        return TRUE;
      return unreachable (error, uri);
    }
  if (g_strcmp0 (virStorageVolGetKey (vol), entry->key) != 0)
    return TRUE;
  if (virStorageVolDelete (vol, 0) == 0)
    return TRUE;
  vr_libvirt_set_error (error, "cannot delete volume '%s'", entry->name);
  return FALSE;
}

gboolean
vr_realize_undo_volumes (virConnectPtr conn, const VrRealizeJournal *journal,
                         GError **error)
{
  g_autoptr (virStoragePool) pool = NULL;
  virErrorPtr err;

  if (journal->volumes == NULL || journal->volumes->len == 0)
    return TRUE;
  if (conn == NULL || virConnectIsAlive (conn) != 1)
    return unreachable (error, journal->remote_uri);
  pool = virStoragePoolLookupByName (conn, journal->remote_pool);
  if (pool == NULL)
    {
      err = virGetLastError ();
      if (err != NULL && err->code == VIR_ERR_NO_STORAGE_POOL)
        return TRUE;
      return unreachable (error, journal->remote_uri);
    }
  /* A pool libvirt restarted with may not have listed the files yet. */
  virStoragePoolRefresh (pool, 0);
  for (guint i = 0; i < journal->volumes->len; i++)
    if (!undo_volume (pool, journal->volumes->pdata[i], journal->remote_uri,
                      error))
      return FALSE;
  return TRUE;
}

virConnectPtr
vr_realize_undo_connection (virConnectPtr conn,
                            const VrRealizeJournal *journal)
{
  g_autofree char *uri = conn ? virConnectGetURI (conn) : NULL;

  if (journal->remote_uri == NULL
      || g_strcmp0 (uri, journal->remote_uri) == 0)
    {
      if (conn != NULL)
        virConnectRef (conn);
      return conn;
    }
  /* Recovery on another connection: the job's own host is asked. */
  return vr_libvirt_open (journal->remote_uri, NULL);
}
