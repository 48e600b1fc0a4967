/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "realize-private.h"
#include "safe-xml.h"

typedef struct {
  xmlNode *source;  /* the <source> element in r->doc */
  char *relpath;    /* inside the import directory */
  char *pool_name;  /* the copy's name in the pool */
  guint64 size;
} RealizeDisk;

static void
realize_disk_free (gpointer data)
{
  RealizeDisk *disk = data;

  g_free (disk->relpath);
  g_free (disk->pool_name);
  g_free (disk);
}

/* Pool names carry the domain's name: two guests' "disk0.qcow2" must not
 * meet in one pool. */
static char *
pool_name_for (Realize *r, const char *relpath)
{
  g_autofree char *base = g_path_get_basename (relpath);

  return g_strdup_printf ("%s-%s", vr_realize_name (r), base);
}

static gboolean
plan_disk (Realize *r, xmlNode *source, const char *relpath, GError **error)
{
  RealizeDisk *disk = g_new0 (RealizeDisk, 1);
  int fd = vr_import_dir_open_file (r->import, relpath, error);
  struct stat st;

  g_ptr_array_add (r->disks, disk);
  if (fd < 0)
    return FALSE;
  fstat (fd, &st);
  close (fd);
  disk->source = source;
  disk->relpath = g_strdup (relpath);
  disk->pool_name = pool_name_for (r, relpath);
  disk->size = st.st_size;
  r->bytes_total += disk->size;
  return TRUE;
}

gboolean
vr_realize_plan_disks (Realize *r, GError **error)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (r->doc);
  g_autoptr (xmlXPathObject) sources = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/disk/source[@file]", ctxt);

  r->disks = g_ptr_array_new_with_free_func (realize_disk_free);
  for (int i = 0; sources != NULL && sources->nodesetval != NULL
                  && i < sources->nodesetval->nodeNr; i++)
    {
      xmlNode *source = sources->nodesetval->nodeTab[i];
      g_autofree char *file = (char *) xmlGetProp (source,
                                                   (const xmlChar *) "file");

      /* Validation refused relative paths unless we copy them. */
      if (file == NULL || g_path_is_absolute (file) || !r->options->copy_disks)
        continue;
      if (!plan_disk (r, source, file, error))
        return FALSE;
    }
  return TRUE;
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
  if (!ok)
    return FALSE;
  r->bytes_before += disk->size;
  target = g_build_filename (r->journal.pool.path, chosen, NULL);
  xmlSetProp (disk->source, (const xmlChar *) "file",
              (const xmlChar *) target);
  return TRUE;
}

gboolean
vr_realize_copy_disks (Realize *r, GError **error)
{
  for (guint i = 0; i < r->disks->len; i++)
    if (!copy_disk (r, r->disks->pdata[i], error))
      return FALSE;
  return TRUE;
}

GHashTable *
vr_realize_disk_targets (Realize *r)
{
  GHashTable *targets = g_hash_table_new_full (g_str_hash, g_str_equal,
                                               g_free, g_free);

  for (guint i = 0; r->disks != NULL && i < r->disks->len; i++)
    {
      RealizeDisk *disk = r->disks->pdata[i];

      g_hash_table_insert (targets, g_strdup (disk->relpath),
                           (char *) xmlGetProp (disk->source,
                                                (const xmlChar *) "file"));
    }
  return targets;
}
