/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading DIR/snapshots (snapshots.h). */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xpath.h>

#include "domain-xml.h"
#include "errors.h"
#include "safe-xml.h"
#include "snapshots.h"

static gboolean
invalid (GError **error, VrImportDir *dir, const char *relpath, const char *why)
{
  g_autofree char *display_name = vr_import_dir_describe (dir, relpath);

  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER, "%s: %s",
               display_name, why);
  return FALSE;
}

/* What one import reads of snapshots/: the files' bytes and the names'
 * bytes left. */
typedef struct {
  guint64 file_bytes;
  gsize name_bytes;
} Budget;

/* The file parsed, its size taken from budget (NULL: the index). */
static xmlDoc *
read_xml (VrImportDir *dir, const char *relpath, const char *root,
          Budget *budget, GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir, relpath);
  int fd = vr_import_dir_open_file (dir, relpath, error);
  struct stat st;
  xmlDoc *doc = NULL;

  if (fd < 0)
    return NULL;
  /* The parse reads at most VR_XML_MAX_SIZE whatever the size says. */
  st.st_size = 0;
  if (budget != NULL && fstat (fd, &st) == 0
      && (guint64) st.st_size > budget->file_bytes)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: the snapshot files together pass %u MiB, the most an "
                 "import reads (a real snapshot file has some KiB)",
                 display_name, VR_SNAPSHOT_FILES_MAX_BYTES >> 20);
  else
    {
      if (budget != NULL)
        budget->file_bytes -= (guint64) st.st_size;
      doc = vr_xml_parse_fd (fd, display_name, VR_XML_MAX_SIZE, root, error);
    }
  close (fd);
  return doc;
}

static gboolean
known (GPtrArray *snapshots, const char *name)
{
  for (guint i = 0; i < snapshots->len; i++)
    if (g_str_equal (((VrImportSnapshot *)snapshots->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* The file holds the snapshot the index names, and its parent came
 * before it. */
static gboolean
read_snapshot (VrImportDir *dir, VrImportSnapshot *snapshot, Budget *budget,
               GError **error)
{
  g_autoptr (xmlDoc) doc
      = read_xml (dir, snapshot->relpath, "domainsnapshot", budget, error);
  g_autofree char *name = NULL;

  if (doc == NULL)
    return FALSE;
  name = vr_xml_xpath_string (doc, "string(/domainsnapshot/name)");
  if (g_strcmp0 (name, snapshot->name) != 0)
    return invalid (error, dir, snapshot->relpath,
                    "does not hold the snapshot the index names");
  snapshot->parent
      = vr_xml_xpath_string (doc, "string(/domainsnapshot/parent/name)");
  if (snapshot->parent != NULL && !known (dir->snapshots, snapshot->parent))
    return invalid (error, dir, snapshot->relpath,
                    "its parent snapshot is not listed before it");
  snapshot->doc = g_steal_pointer (&doc);
  return TRUE;
}

static gboolean
plain_name (const char *file)
{
  return file != NULL && *file != '\0' && strchr (file, '/') == NULL
         && !g_str_equal (file, ".") && !g_str_equal (file, "..")
         && !g_str_equal (file, VR_SNAPSHOTS_INDEX);
}

static gboolean
add_entry (VrImportDir *dir, xmlNode *node, GHashTable *files,
           const char *index, Budget *budget, GError **error)
{
  g_autofree char *file = (char *)xmlGetProp (node, (const xmlChar *)"file");
  g_autofree char *name = (char *)xmlGetProp (node, (const xmlChar *)"name");
  g_autofree char *current
      = (char *)xmlGetProp (node, (const xmlChar *)"current");
  VrImportSnapshot *snapshot;

  if (!plain_name (file) || name == NULL || *name == '\0'
      || g_hash_table_contains (files, file) || known (dir->snapshots, name))
    return invalid (error, dir, index,
                    "each <snapshot> needs a name and a file of its own in "
                    "snapshots/");
  /* Shown by virt-realize show and on the bus (the Snapshots property):
   * a control character would forge lines in what an administrator
   * reads (nineteenth review, F4). */
  if (!vr_name_is_plain (name))
    return invalid (error, dir, index,
                    "a snapshot name has at most 200 bytes, no '/' and no "
                    "control character");
  if (strlen (name) > budget->name_bytes)
    return invalid (error, dir, index,
                    "the snapshot names together pass 64 KiB, the most an "
                    "import takes");
  budget->name_bytes -= strlen (name);
  g_hash_table_add (files, g_strdup (file));
  snapshot = g_new0 (VrImportSnapshot, 1);
  snapshot->name = g_steal_pointer (&name);
  snapshot->relpath = g_build_filename (VR_IMPORT_SNAPSHOTS_DIR, file, NULL);
  snapshot->current = g_strcmp0 (current, "yes") == 0;
  if (!read_snapshot (dir, snapshot, budget, error))
    {
      vr_import_snapshot_free (snapshot);
      return FALSE;
    }
  g_ptr_array_add (dir->snapshots, snapshot);
  return TRUE;
}

/* Nothing in snapshots/ that the index does not name. */
static gboolean
check_listed (VrImportDir *dir, int fd, GHashTable *files, GError **error)
{
  g_autofree char *display_name
      = vr_import_dir_describe (dir, VR_IMPORT_SNAPSHOTS_DIR);
  g_autoptr (GPtrArray) names
      = vr_import_dir_list_names (dup (fd), display_name, error);

  if (names == NULL)
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *relpath = NULL;

      if (g_str_equal (names->pdata[i], VR_SNAPSHOTS_INDEX)
          || g_hash_table_contains (files, names->pdata[i]))
        continue;
      relpath
          = g_build_filename (VR_IMPORT_SNAPSHOTS_DIR, names->pdata[i], NULL);
      return invalid (error, dir, relpath,
                      "not named by snapshots/" VR_SNAPSHOTS_INDEX);
    }
  return TRUE;
}

static gboolean
read_index (VrImportDir *dir, int fd, GError **error)
{
  const char *index = VR_IMPORT_SNAPSHOTS_DIR "/" VR_SNAPSHOTS_INDEX;
  g_autoptr (xmlDoc) doc = read_xml (dir, index, "snapshots", NULL, error);
  Budget budget = { VR_SNAPSHOT_FILES_MAX_BYTES, VR_SNAPSHOT_NAMES_MAX_BYTES };
  g_autoptr (GHashTable) files
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (xmlXPathContext) ctxt = NULL;
  g_autoptr (xmlXPathObject) nodes = NULL;
  int count;

  if (doc == NULL)
    return FALSE;
  ctxt = xmlXPathNewContext (doc);
  nodes = xmlXPathEvalExpression ((const xmlChar *)"/snapshots/snapshot", ctxt);
  count = nodes && nodes->nodesetval ? nodes->nodesetval->nodeNr : 0;
  if (count > VR_SNAPSHOTS_MAX)
    return invalid (error, dir, index, "names too many snapshots");
  dir->snapshots = g_ptr_array_new_with_free_func (
      (GDestroyNotify)vr_import_snapshot_free);
  for (int i = 0; i < count; i++)
    if (!add_entry (dir, nodes->nodesetval->nodeTab[i], files, index,
                    &budget, error))
      return FALSE;
  return check_listed (dir, fd, files, error);
}

gboolean
vr_import_dir_read_snapshots (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name
      = vr_import_dir_describe (dir, VR_IMPORT_SNAPSHOTS_DIR);
  gboolean missing = FALSE;
  int fd = vr_import_dir_open_subdir (dir->fd, VR_IMPORT_SNAPSHOTS_DIR,
                                      display_name, &missing, error);
  gboolean ok;

  if (fd < 0)
    return missing;
  ok = read_index (dir, fd, error);
  close (fd);
  if (ok && dir->snapshots->len == 0)
    g_clear_pointer (&dir->snapshots, g_ptr_array_unref);
  return ok;
}
