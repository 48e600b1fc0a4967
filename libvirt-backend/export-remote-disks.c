/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The disks of a domain on another host, for export --with-disks: that
 * host's files are reached only as volumes of its pools, so each disk
 * must be one (virStorageVolLookupByPath) and is downloaded as a sparse
 * stream, as the saved state is (export-remote.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "export-private.h"
#include "libvirt-util.h"
#include "qcow2.h"
#include "safe-xml.h"
#include "volume-download.h"

static char *
host_of (virConnectPtr conn)
{
  char *uri = virConnectGetURI (conn);

  return uri ? uri : g_strdup ("the connection's host");
}

static virStorageVolPtr
lookup (virConnectPtr conn, const char *what, const char *path,
        GError **error)
{
  virStorageVolPtr vol = virStorageVolLookupByPath (conn, path);
  g_autofree char *host = NULL;
  g_autofree char *dir = NULL;

  if (vol != NULL)
    return vol;
  host = host_of (conn);
  dir = g_path_get_dirname (path);
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "%s (%s) is not a volume of an active storage pool on %s: an "
               "export from another host reads its disks as volumes; make "
               "its folder a pool there (virsh -c %s pool-create-as NAME "
               "dir --target %s), or export on that host",
               what, path, host, host, dir);
  return NULL;
}

/* libvirt's own view of the file: its format, and a backing chain, which
 * an export downloads as one file only when flattened. */
static gboolean
read_volume (virStorageVolPtr vol, const char *what, const char *path,
             VrExportDisk *disk, GError **error)
{
  g_autofree char *xml = virStorageVolGetXMLDesc (vol, 0);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *backing = NULL;
  virStorageVolInfo info;

  if (xml == NULL
      || virStorageVolGetInfoFlags (vol, &info,
                                    VIR_STORAGE_VOL_GET_PHYSICAL) < 0)
    {
      vr_libvirt_set_error (error, "cannot read volume %s (%s)", path, what);
      return FALSE;
    }
  doc = vr_xml_parse_buffer (xml, strlen (xml), "libvirt's volume XML",
                             "volume", error);
  if (doc == NULL)
    return FALSE;
  backing = vr_xml_xpath_string (doc, "string(/volume/backingStore/path)");
  if (backing != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) is a qcow2 image on top of %s: it cannot be "
                   "downloaded as one file; flatten it first (virsh "
                   "blockpull)", what, path, backing);
      return FALSE;
    }
  disk->format = vr_xml_xpath_string (doc,
                                      "string(/volume/target/format/@type)");
  disk->size = info.allocation;
  return TRUE;
}

VrExportDisk *
vr_export_remote_disk_new (virConnectPtr conn, const char *what,
                           const char *path, GError **error)
{
  g_autoptr (virStorageVol) vol = lookup (conn, what, path, error);
  VrExportDisk *disk;

  if (vol == NULL)
    return NULL;
  disk = g_new0 (VrExportDisk, 1);
  disk->path = g_strdup (path);
  if (read_volume (vol, what, path, disk, error))
    return disk;
  vr_export_disk_free (disk);
  return NULL;
}

/* What arrived is checked as a local disk is before its copy: a header
 * naming a backing or data file (one libvirt did not report) would make
 * the export's copy depend on a file of that host. */
static gboolean
check_download (int fd, VrExportDisk *disk, GError **error)
{
  g_auto (VrQcow2Info) info = { 0 };

  vr_qcow2_read (fd, &info);
  g_free (disk->format);
  disk->format = g_strdup (vr_qcow2_format_of (fd));
  if (info.backing == NULL && !info.data_file)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "%s (downloaded from %s) needs %s: it cannot be exported as "
               "one file; flatten it first (virsh blockpull)", disk->name,
               disk->path, info.backing ? info.backing
                                        : "an external data file");
  return FALSE;
}

gboolean
vr_export_remote_disk (virConnectPtr conn, VrExportDisk *disk, int disks_fd,
                       GCancellable *cancellable, VrCopyProgressFunc progress,
                       gpointer progress_data, guint64 *size, GError **error)
{
  g_autoptr (virStorageVol) vol = lookup (conn, disk->name, disk->path,
                                          error);
  int fd;
  gboolean ok;

  if (vol == NULL)
    return FALSE;
  fd = openat (disks_fd, disk->name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW
                                         | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot make %s", disk->name);
      return FALSE;
    }
  ok = vr_volume_download (conn, vol, fd, cancellable, progress,
                           progress_data, size, error)
       && check_download (fd, disk, error);
  close (fd);
  return ok;
}
