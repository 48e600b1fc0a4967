/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots' metadata into DIR/snapshots: one file per snapshot, parents
 * first, and index.xml naming them in that order with the current one
 * marked (Hyper-V's exported snapshot definitions). Internal qcow2
 * snapshots travel inside the disk images. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xpath.h>

#include "errors.h"
#include "export-private.h"
#include "fs-util.h"
#include "import-dir.h"
#include "libvirt-util.h"
#include "safe-xml.h"
#include "snapshots.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomainSnapshot, virDomainSnapshotFree)

typedef struct
{
  virDomainSnapshotPtr snap;
  char *name;
  char *parent;
} Snap;

static void
snap_free (gpointer data)
{
  Snap *s = data;

  virDomainSnapshotFree (s->snap);
  g_free (s->name);
  g_free (s->parent);
  g_free (s);
}

static gboolean
emitted (GPtrArray *ordered, const char *name)
{
  for (guint i = 0; i < ordered->len; i++)
    if (g_str_equal (((Snap *)ordered->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* Parents before children: libvirt redefines a child only after its
 * parent. */
static GPtrArray *
order_snapshots (GPtrArray *all)
{
  GPtrArray *ordered = g_ptr_array_new_with_free_func (snap_free);
  gboolean progress = TRUE;

  while (all->len > 0 && progress)
    {
      progress = FALSE;
      for (guint i = 0; i < all->len; i++)
        {
          Snap *s = all->pdata[i];

          if (s->parent != NULL && !emitted (ordered, s->parent))
            continue;
          g_ptr_array_add (ordered, g_ptr_array_steal_index (all, i));
          progress = TRUE;
          break;
        }
    }
  return ordered;
}

static GPtrArray *
list_snapshots (virDomainPtr dom, GError **error)
{
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (snap_free);
  virDomainSnapshotPtr *snaps = NULL;
  int n = virDomainListAllSnapshots (dom, &snaps, 0);

  if (n < 0)
    {
      vr_libvirt_set_error (error, "cannot list the snapshots of '%s'",
                            virDomainGetName (dom));
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      Snap *s = g_new0 (Snap, 1);
      g_autoptr (virDomainSnapshot) parent
          = virDomainSnapshotGetParent (snaps[i], 0);

      s->snap = snaps[i];
      s->name = g_strdup (virDomainSnapshotGetName (snaps[i]));
      s->parent = parent ? g_strdup (virDomainSnapshotGetName (parent)) : NULL;
      g_ptr_array_add (all, s);
    }
  free (snaps);
  return order_snapshots (all);
}

/* Disk sources in the snapshot's own domain and its <disks> become the
 * copies' relative paths, as in domain.xml. */
static void
relocate_disks (xmlDoc *doc, GPtrArray *disks)
{
  g_autoptr (GHashTable) targets
      = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  for (guint i = 0; i < disks->len; i++)
    {
      VrExportDisk *disk = disks->pdata[i];

      g_hash_table_insert (
          targets, disk->path,
          g_build_filename (VR_IMPORT_DISKS_DIR, disk->name, NULL));
    }
  vr_snapshot_retarget_disks (doc, targets);
}

static gboolean
write_text (VrExportTarget *t, int dir_fd, const char *relpath,
            const char *text, GError **error)
{
  g_autofree char *base = g_path_get_basename (relpath);
  gsize len = strlen (text);
  int fd = openat (dir_fd, base,
                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  gboolean ok;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s", t->path,
                          relpath);
      return FALSE;
    }
  g_ptr_array_add (t->written, g_strdup (relpath));
  ok = vr_write_all (fd, text, len) && fsync (fd) == 0;
  if (close (fd) < 0)
    ok = FALSE;
  if (!ok)
    vr_error_set_errno (error, errno, "cannot write %s/%s", t->path, relpath);
  else
    *t->bytes += len;
  return ok;
}

static gboolean
write_snapshot (VrExportTarget *t, int dir_fd, Snap *s, guint n,
                GPtrArray *disks, xmlNode *index, GError **error)
{
  char *xml
      = virDomainSnapshotGetXMLDesc (s->snap, VIR_DOMAIN_SNAPSHOT_XML_SECURE);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *file = g_strdup_printf ("%03u.xml", n);
  g_autofree char *relpath
      = g_build_filename (VR_IMPORT_SNAPSHOTS_DIR, file, NULL);
  g_autofree char *text = NULL;
  xmlNode *entry;

  if (xml == NULL)
    {
      vr_libvirt_set_error (error, "cannot read snapshot '%s'", s->name);
      return FALSE;
    }
  doc = vr_xml_parse_buffer (xml, strlen (xml), "libvirt's snapshot XML",
                             "domainsnapshot", error);
  free (xml);
  if (doc == NULL)
    return FALSE;
  relocate_disks (doc, disks);
  text = vr_xml_to_string (doc);
  entry = xmlNewChild (index, NULL, (const xmlChar *)"snapshot", NULL);
  xmlNewProp (entry, (const xmlChar *)"file", (const xmlChar *)file);
  xmlNewProp (entry, (const xmlChar *)"name", (const xmlChar *)s->name);
  if (virDomainSnapshotIsCurrent (s->snap, 0) == 1)
    xmlNewProp (entry, (const xmlChar *)"current", (const xmlChar *)"yes");
  return write_text (t, dir_fd, relpath, text, error);
}

static int
make_dir (VrExportTarget *t, GError **error)
{
  int fd;

  if (mkdirat (t->dir_fd, VR_IMPORT_SNAPSHOTS_DIR, 0755) < 0)
    {
      vr_error_set_errno (error, errno, "cannot create %s/%s", t->path,
                          VR_IMPORT_SNAPSHOTS_DIR);
      return -1;
    }
  g_ptr_array_add (t->written, g_strdup (VR_IMPORT_SNAPSHOTS_DIR));
  fchmodat (t->dir_fd, VR_IMPORT_SNAPSHOTS_DIR, 0755, 0);
  fd = openat (t->dir_fd, VR_IMPORT_SNAPSHOTS_DIR,
               O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    vr_error_set_errno (error, errno, "cannot open %s/%s", t->path,
                        VR_IMPORT_SNAPSHOTS_DIR);
  return fd;
}

gboolean
vr_export_snapshots (VrExportTarget *t, virDomainPtr dom, GPtrArray *disks,
                     guint *count, GError **error)
{
  g_autoptr (GPtrArray) snaps = list_snapshots (dom, error);
  g_autoptr (xmlDoc) index = NULL;
  g_autofree char *text = NULL;
  xmlNode *top;
  gboolean ok = TRUE;
  int dir_fd;

  if (snaps == NULL)
    return FALSE;
  if (snaps->len == 0)
    return TRUE;
  dir_fd = make_dir (t, error);
  if (dir_fd < 0)
    return FALSE;
  index = xmlNewDoc ((const xmlChar *)"1.0");
  top = xmlNewNode (NULL, (const xmlChar *)"snapshots");
  xmlDocSetRootElement (index, top);
  for (guint i = 0; ok && i < snaps->len; i++)
    ok = write_snapshot (t, dir_fd, snaps->pdata[i], i + 1, disks, top, error);
  text = vr_xml_to_string (index);
  ok = ok
       && write_text (t, dir_fd, VR_IMPORT_SNAPSHOTS_DIR "/" VR_SNAPSHOTS_INDEX,
                      text, error);
  close (dir_fd);
  if (ok)
    *count = snaps->len;
  return ok;
}
