/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
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
copy_disk (Realize *r, RealizeDisk *disk, int dir_fd, GError **error)
{
  g_autofree char *target = g_build_filename (r->journal.pool_dir,
                                              disk->pool_name, NULL);
  int src;
  gboolean ok;

  g_ptr_array_add (r->journal.disk_files, g_strdup (disk->pool_name));
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return FALSE;
  src = vr_import_dir_open_file (r->import, disk->relpath, error);
  if (src < 0)
    return FALSE;
  /* QEMU runs as another user; libvirt hands it the disk at start. */
  ok = vr_copy_fd_to (src, dir_fd, disk->pool_name, 0600,
                      r->options->copy_flags, r->cancellable,
                      vr_realize_copy_progress, r, NULL, error);
  close (src);
  if (!ok)
    {
      g_prefix_error (error, "copying %s/%s into %s: ", r->import->path,
                      disk->relpath, r->journal.pool_dir);
      return FALSE;
    }
  r->bytes_before += disk->size;
  xmlSetProp (disk->source, (const xmlChar *) "file",
              (const xmlChar *) target);
  return TRUE;
}

gboolean
vr_realize_copy_disks (Realize *r, GError **error)
{
  int dir_fd;
  gboolean ok = TRUE;

  if (r->disks->len == 0)
    return TRUE;
  dir_fd = open (r->journal.pool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open pool directory %s",
                          r->journal.pool_dir);
      return FALSE;
    }
  for (guint i = 0; ok && i < r->disks->len; i++)
    ok = copy_disk (r, r->disks->pdata[i], dir_fd, error);
  close (dir_fd);
  return ok;
}

void
vr_realize_undo_disks (const VrRealizeJournal *journal)
{
  for (guint i = 0; journal->disk_files && i < journal->disk_files->len; i++)
    {
      const char *name = journal->disk_files->pdata[i];
      g_autofree char *path = g_build_filename (journal->pool_dir, name, NULL);

      vr_copy_remove_temps (journal->pool_dir, name);
      unlink (path);
    }
}
