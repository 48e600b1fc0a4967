/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "qcow2.h"
#include "realize-private.h"
#include "safe-xml.h"
#include "test-hooks.h"

/* The longest backing chain a realize follows inside the import
 * directory (export writes at most that many). */
#define MAX_CHAIN 16

/* What a copy's header is judged by: QEMU wants the backing file's name
 * and the header extensions within the first cluster (at most 2 MiB). */
#define HEAD_SIZE (2 * 1024 * 1024 + 1024)

typedef struct _RealizeDisk RealizeDisk;
struct _RealizeDisk {
  xmlNode *source;  /* the <source> element in r->doc; NULL for a backing
                       file, which only its image's header names */
  char *relpath;    /* inside the import directory */
  char *pool_name;  /* the copy's name in the pool */
  char *target;     /* the copy's path, once made */
  char *format;     /* "qcow2" or "raw" */
  RealizeDisk *backing; /* the next file of its chain, or NULL */
  char *backing_name; /* the name its header gave the next, as planned */
  guint64 size;
};

static void
realize_disk_free (gpointer data)
{
  RealizeDisk *disk = data;

  g_free (disk->relpath);
  g_free (disk->pool_name);
  g_free (disk->target);
  g_free (disk->format);
  g_free (disk->backing_name);
  g_free (disk);
}

/* Pool names carry the domain's name: two guests' "disk0.qcow2" must not
 * meet in one pool. A disk that carries it already (exported from a
 * domain realized before, imported again) keeps its name, which so stays
 * the same round trip after round trip; a name taken in the pool is
 * still made unique by the copy. */
static char *
pool_name_for (Realize *r, const char *relpath)
{
  g_autofree char *base = g_path_get_basename (relpath);
  g_autofree char *prefix = g_strconcat (vr_realize_name (r), "-", NULL);

  if (g_str_has_prefix (base, prefix))
    return g_steal_pointer (&base);
  return g_strconcat (prefix, base, NULL);
}

static RealizeDisk *plan_disk (Realize *r, xmlNode *source,
                               const char *relpath, guint depth,
                               GError **error);

/* An exported chain names its next file beside it (export made it so):
 * a plain name in the same folder of the import directory, nothing
 * else. */
static gboolean
plan_backing (Realize *r, RealizeDisk *disk, const char *backing,
              guint depth, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (disk->relpath);
  g_autofree char *relpath = NULL;

  if (strchr (backing, '/') != NULL || strchr (backing, ':') != NULL
      || depth >= MAX_CHAIN)
    {
      g_autofree char *path = vr_import_dir_describe (r->import,
                                                      disk->relpath);

      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: its backing file '%s' is not a file beside it in "
                   "the import directory", path, backing);
      return FALSE;
    }
  relpath = g_build_filename (dir, backing, NULL);
  disk->backing = plan_disk (r, NULL, relpath, depth + 1, error);
  return disk->backing != NULL;
}

static xmlNode *
child_named (xmlNode *parent, const char *name)
{
  for (xmlNode *n = parent->children; n != NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && n->ns == NULL
        && xmlStrEqual (n->name, (const xmlChar *) name))
      return n;
  return NULL;
}

/* A carried disk is opened as what it is: libvirt takes <driver type>
 * as given, and another format's header or descriptor (vmdk extents,
 * a qed backing file) would name host files that no check here reads. */
static gboolean
check_driver_type (Realize *r, RealizeDisk *disk, GError **error)
{
  xmlNode *driver = child_named (disk->source->parent, "driver");
  g_autofree char *type = driver ? (char *) xmlGetProp (
                              driver, (const xmlChar *) "type")
                                 : NULL;
  g_autofree char *path = NULL;

  if (type == NULL || g_str_equal (type, disk->format))
    return TRUE;
  path = vr_import_dir_describe (r->import, disk->relpath);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s is a %s image, but its disk's <driver type='%s'>: "
               "realize carries a disk as the format it is (raw or qcow2)",
               path, disk->format, type);
  return FALSE;
}

static RealizeDisk *
plan_disk (Realize *r, xmlNode *source, const char *relpath, guint depth,
           GError **error)
{
  RealizeDisk *disk = g_new0 (RealizeDisk, 1);
  int fd = vr_import_dir_open_file (r->import, relpath, error);
  g_auto (VrQcow2Info) info = { 0 };
  struct stat st;

  g_ptr_array_add (r->disks, disk);
  if (fd < 0)
    return NULL;
  fstat (fd, &st);
  vr_qcow2_read (fd, &info);
  disk->format = g_strdup (vr_qcow2_format_of (fd));
  close (fd);
  disk->source = source;
  disk->relpath = g_strdup (relpath);
  disk->pool_name = pool_name_for (r, relpath);
  disk->size = st.st_size;
  disk->backing_name = g_strdup (info.backing);
  vr_progress_add_step_bytes (r->files, relpath, disk->size);
  if (info.data_file && !r->options->host_access_allowed)
    {
      g_autofree char *path = vr_import_dir_describe (r->import, relpath);

      /* Validation refused it already; the copy would keep the header
       * that points QEMU at a host file of anyone's. */
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s is a qcow2 image with an external data file: QEMU "
                   "would open that host file as the disk's data", path);
      return NULL;
    }
  if (info.backing != NULL
      && !plan_backing (r, disk, info.backing, depth, error))
    return NULL;
  if (source != NULL && !check_driver_type (r, disk, error))
    return NULL;
  return disk;
}

gboolean
vr_realize_plan_disks (Realize *r, GError **error)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (r->doc);
  g_autoptr (xmlXPathObject) sources = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/disk[not(@type) or @type='file']"
                        "/source[@file]", ctxt);

  r->disks = g_ptr_array_new_with_free_func (realize_disk_free);
  for (int i = 0; sources != NULL && sources->nodesetval != NULL
                  && i < sources->nodesetval->nodeNr; i++)
    {
      xmlNode *source = sources->nodesetval->nodeTab[i];
      g_autofree char *file = (char *) xmlGetProp (source,
                                                   (const xmlChar *) "file");

      /* Validation refused relative paths unless we copy them; libvirt
       * reads @file of a file disk only, and any other relative value
       * is refused before define (vr_realize_check_final). */
      if (file == NULL || g_path_is_absolute (file) || !r->options->copy_disks)
        continue;
      if (plan_disk (r, source, file, 0, error) == NULL)
        return FALSE;
    }
  /* Where a test swaps a planned disk (what a caller may do any time). */
  vr_test_hook_stall ("planned-disks", r->cancellable);
  return TRUE;
}

/* The copy is ours (in the pool, which the caller cannot write), the
 * source the caller's: it may have changed since plan_disk read it, even
 * during the copy (tenth review, F1). So the copy's header is judged. */
static gboolean
check_copy (Realize *r, RealizeDisk *disk, const char *name, GError **error)
{
  int fd;
  gboolean ok;

  if (r->remote)
    fd = vr_realize_remote_read_head (r, name, HEAD_SIZE, error);
  else if ((fd = openat (r->pool_fd, name,
                         O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
    vr_error_set_errno (error, errno, "cannot open %s/%s",
                        r->journal.pool.path, name);
  if (fd < 0)
    return FALSE;
  ok = vr_realize_verify_header (r, disk->relpath, fd, disk->format,
                                 disk->backing_name, error);
  close (fd);
  return ok;
}

/* Defence in depth: libvirt takes the copy's format and chain from the
 * XML instead of probing its header. A disk without a planned chain gets
 * an empty <backingStore/> (libvirt gives QEMU backing: null); a chain's
 * copies are named by link_chain's headers, each checked. */
static void
describe_copy (RealizeDisk *disk)
{
  xmlNode *node = disk->source->parent;
  xmlNode *driver = child_named (node, "driver");
  xmlNode *old;

  if (driver == NULL)
    driver = xmlNewChild (node, NULL, (const xmlChar *) "driver", NULL);
  if (!xmlHasProp (driver, (const xmlChar *) "type"))
    xmlSetProp (driver, (const xmlChar *) "type",
                (const xmlChar *) disk->format);
  while ((old = child_named (node, "backingStore")) != NULL)
    {
      xmlUnlinkNode (old);
      xmlFreeNode (old);
    }
  if (disk->backing == NULL)
    xmlNewChild (node, NULL, (const xmlChar *) "backingStore", NULL);
}

static gboolean
copy_disk (Realize *r, RealizeDisk *disk, GError **error)
{
  g_autofree char *target = NULL;
  g_autofree char *chosen = NULL;
  int src = vr_import_dir_open_file (r->import, disk->relpath, error);
  gboolean ok;

  if (src < 0)
    return FALSE;
  ok = vr_realize_copy_to_pool (r, src, disk->relpath, disk->pool_name,
                                &chosen, NULL, error);
  close (src);
  if (!ok || !check_copy (r, disk, chosen, error))
    return FALSE;
  target = vr_realize_pool_path (r, chosen);
  if (disk->source != NULL)
    {
      xmlSetProp (disk->source, (const xmlChar *) "file",
                  (const xmlChar *) target);
      describe_copy (disk);
    }
  disk->target = g_steal_pointer (&target);
  g_free (disk->pool_name);
  disk->pool_name = g_steal_pointer (&chosen);
  return TRUE;
}

/* Each copy in a chain names the next copy by its name in the pool
 * (the copies are ours; the header alone changes). */
static gboolean
link_chain (Realize *r, GError **error)
{
  for (guint i = 0; i < r->disks->len; i++)
    {
      RealizeDisk *disk = r->disks->pdata[i];

      if (disk->backing != NULL
          && !vr_qcow2_set_backing (disk->target, disk->backing->pool_name,
                                    disk->backing->format, error))
        return FALSE;
    }
  return TRUE;
}

/* A chain's headers are rewritten here after the copy: a file on this
 * host only. */
static gboolean
check_remote_chain (Realize *r, RealizeDisk *disk, GError **error)
{
  if (!r->remote || disk->backing == NULL)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "%s/%s has a backing file: a realize onto a remote host "
               "copies only disks without backing chains yet",
               r->import->path, disk->relpath);
  return FALSE;
}

gboolean
vr_realize_copy_disks (Realize *r, GError **error)
{
  for (guint i = 0; i < r->disks->len; i++)
    if (!check_remote_chain (r, r->disks->pdata[i], error))
      return FALSE;
  for (guint i = 0; i < r->disks->len; i++)
    if (!copy_disk (r, r->disks->pdata[i], error))
      return FALSE;
  return link_chain (r, error);
}

GHashTable *
vr_realize_disk_targets (Realize *r)
{
  GHashTable *targets = g_hash_table_new_full (g_str_hash, g_str_equal,
                                               g_free, g_free);

  for (guint i = 0; r->disks != NULL && i < r->disks->len; i++)
    {
      RealizeDisk *disk = r->disks->pdata[i];

      if (disk->target != NULL)
        g_hash_table_insert (targets, g_strdup (disk->relpath),
                             g_strdup (disk->target));
    }
  return targets;
}
