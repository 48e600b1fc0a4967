/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Export from a libvirt on another host: its managed save is a file in
 * that host's save directory, which no storage API reaches and whose path
 * libvirt does not tell (for a session daemon it is below the remote
 * user's $XDG_CONFIG_HOME). So the state goes through a volume of the
 * remote "default" pool: the managed save is restored paused, saved into
 * the volume (virDomainSaveFlags, as the guest ran), downloaded here as a
 * sparse stream, and handed back to libvirt as the same managed save
 * (paused restore + managed save, as a remote realize does); then the
 * volume is deleted. docs/remote.md has the measurements against a pool
 * over the save directory. */
#include "config.h"

#include "export-private.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "errors.h"
#include "handoff.h"
#include "import-firmware.h"
#include "libvirt-util.h"
#include "pool.h"
#include "safe-xml.h"
#include "volume-download.h"
#include "volume-upload.h"

/* Named after the domain's UUID: a volume an export killed midway left
 * behind (the guest's only state then) is found by the next export of
 * that domain, which refuses to go on and says how to take it back. */
static char *
volume_name (virDomainPtr dom)
{
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return NULL;
  return g_strdup_printf ("vr-export-%s.save", uuid);
}

/* The state is in the volume only: libvirt takes it back as the domain's
 * managed save. The volume is deleted only once that worked; else it is
 * kept, named in the message, so that nothing of the guest is lost. */
static gboolean
hand_back (virConnectPtr conn, virDomainPtr dom, virStorageVolPtr vol,
           GError **error)
{
  g_autofree char *path = virStorageVolGetPath (vol);
  g_autofree char *xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE
                                                   | VIR_DOMAIN_XML_SECURE);

  if (path == NULL || xml == NULL
      || !vr_handoff_managed_save (conn, dom, path, xml, TRUE, error))
    {
      g_prefix_error (error, "the saved state of '%s' is kept in %s: ",
                      virDomainGetName (dom), path ? path : "its volume");
      return FALSE;
    }
  if (virStorageVolDelete (vol, 0) < 0)
    g_warning ("cannot delete the export's volume %s: %s", path,
               virGetLastErrorMessage ());
  return TRUE;
}

/* The managed save (restored paused) goes into vol, as running: the
 * export's image resumes the guest as its managed save would have. */
static gboolean
save_into (virDomainPtr dom, virStorageVolPtr vol, GError **error)
{
  g_autofree char *path = virStorageVolGetPath (vol);

  if (virDomainCreateWithFlags (dom, VIR_DOMAIN_START_PAUSED) < 0)
    {
      vr_libvirt_set_error (error, "cannot restore the managed save of '%s'",
                            virDomainGetName (dom));
      return FALSE;
    }
  if (path != NULL
      && virDomainSaveFlags (dom, path, NULL, VIR_DOMAIN_SAVE_RUNNING) == 0)
    return TRUE;
  vr_libvirt_set_error (error, "cannot save '%s' into volume %s",
                        virDomainGetName (dom), path ? path : "");
  /* Still running paused: back into a managed save. */
  if (virDomainManagedSave (dom, VIR_DOMAIN_SAVE_RUNNING) < 0)
    g_warning ("cannot managed-save '%s' again: %s", virDomainGetName (dom),
               virGetLastErrorMessage ());
  return FALSE;
}

static virStorageVolPtr
make_volume (virConnectPtr conn, virDomainPtr dom, GError **error)
{
  g_autoptr (virStoragePool) pool = virStoragePoolLookupByName (
      conn, VR_POOL_DEFAULT);
  g_autofree char *name = volume_name (dom);
  g_autoptr (virStorageVol) left = NULL;
  g_autofree char *path = NULL;

  if (pool == NULL || name == NULL)
    {
      vr_libvirt_set_error (error, "cannot open pool '%s' of the remote host "
                            "(the saved state goes through it)",
                            VR_POOL_DEFAULT);
      return NULL;
    }
  left = virStorageVolLookupByName (pool, name);
  if (left != NULL)
    {
      g_autofree char *virsh = vr_libvirt_virsh_on (conn);

      path = virStorageVolGetPath (left);
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "volume %s exists: an earlier export of '%s' stopped "
                   "midway and the guest's state is in it; take it back "
                   "with %s restore %s --paused, %s managedsave %s "
                   "--running, then delete the volume (%s vol-delete %s)",
                   path, virDomainGetName (dom), virsh, path, virsh,
                   virDomainGetName (dom), virsh, path);
      return NULL;
    }
  return vr_volume_create (pool, name, 0, error);
}

gboolean
vr_export_remote_save (virConnectPtr conn, virDomainPtr dom, int dir_fd,
                       const char *name, GCancellable *cancellable,
                       VrCopyProgressFunc progress, gpointer progress_data,
                       guint64 *size, GError **error)
{
  g_autoptr (virStorageVol) vol = make_volume (conn, dom, error);
  g_autoptr (GError) back = NULL;
  int fd;
  gboolean ok;

  if (vol == NULL)
    return FALSE;
  if (!save_into (dom, vol, error))
    {
      virStorageVolDelete (vol, 0);
      return FALSE;
    }
  fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                 | O_CLOEXEC, 0600);
  if (fd < 0)
    vr_error_set_errno (error, errno, "cannot make %s", name);
  ok = fd >= 0
       && vr_volume_download (conn, vol, fd, cancellable, progress,
                              progress_data, size, error);
  if (fd >= 0)
    close (fd);
  /* Whatever the download did, the guest's state goes back first. */
  if (!hand_back (conn, dom, vol, &back))
    {
      if (ok)
        g_propagate_error (error, g_steal_pointer (&back));
      else
        g_prefix_error (error, "%s; ", back->message);
      return FALSE;
    }
  return ok;
}

/* A store that is a volume of an active pool there (as a remote realize
 * makes it) is read through the storage API: it is carried. */
static gboolean
nvram_is_volume (virConnectPtr conn, const char *path, VrExportFirmware *fw)
{
  g_autoptr (virStorageVol) vol = path ? virStorageVolLookupByPath (conn,
                                                                    path)
                                       : NULL;

  if (vol == NULL)
    return FALSE;
  fw->nvram_path = g_strdup (path);
  fw->nvram_conn = conn;
  virConnectRef (conn);
  return TRUE;
}

/* What of the guest's own state lies in that libvirt's private folders,
 * one phrase an item, added to what. */
static void
list_firmware (virConnectPtr conn, xmlDoc *doc, const char *name,
               const char *uuid, VrExportFirmware *fw, GString *what)
{
  g_autofree char *nvram = vr_xml_xpath_string (doc,
                                                "string(/domain/os/nvram)");
  g_autofree char *tpm = vr_domain_tpm_version (doc);

  if (vr_domain_uses_nvram (doc) && !nvram_is_volume (conn, nvram, fw))
    {
      if (nvram != NULL)
        g_string_append_printf (what, "its UEFI variable store %s (no "
                                "volume of an active pool there)", nvram);
      else
        g_string_append_printf (what, "its UEFI variable store (%s_VARS.fd "
                                "in that libvirt's nvram folder)", name);
    }
  if (tpm != NULL)
    g_string_append_printf (what, "%sits TPM %s state (swtpm's folder %s "
                            "there, /var/lib/libvirt/swtpm/%s on a system "
                            "libvirt)", what->len > 0 ? " and " : "", tpm,
                            uuid, uuid);
}

/* No storage API reads those folders, and a pool made over them would be
 * a pool over libvirt's own private state (docs/remote.md). Without them
 * the guest would resume with an empty variable store or TPM: refused,
 * saying how to carry them (an export there, copied here whole). */
gboolean
vr_export_remote_check_firmware (virConnectPtr conn, xmlDoc *doc,
                                 const char *name, const char *uuid,
                                 VrExportFirmware *fw, GError **error)
{
  g_autoptr (GString) what = g_string_new (NULL);
  g_autofree char *uri = NULL;
  g_autofree char *host = NULL;

  list_firmware (conn, doc, name, uuid, fw, what);
  if (what->len == 0)
    return TRUE;
  uri = virConnectGetURI (conn);
  host = virConnectGetHostname (conn);
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "domain '%s' is on another host (%s): an export from there "
               "does not carry %s (no storage API reads that libvirt's "
               "folders). Export '%s' on %s itself, with its saved "
               "state and its disks, and copy that directory here whole "
               "(rsync -aS %s:DIR/ DIR/)",
               name, uri ? uri : "?", what->str, name, host ? host : "HOST",
               host ? host : "HOST");
  return FALSE;
}

gboolean
vr_export_remote_nvram (virConnectPtr conn, const char *path, int dir_fd,
                        const char *name, GCancellable *cancellable,
                        guint64 *size, GError **error)
{
  g_autoptr (virStorageVol) vol = virStorageVolLookupByPath (conn, path);
  int fd;
  gboolean ok;

  if (vol == NULL)
    {
      vr_libvirt_set_error (error, "the UEFI variable store %s is no longer "
                            "a volume there", path);
      return FALSE;
    }
  fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
                                 | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot make %s", name);
      return FALSE;
    }
  ok = vr_volume_download (conn, vol, fd, cancellable, NULL, NULL, size,
                           error);
  close (fd);
  return ok;
}
