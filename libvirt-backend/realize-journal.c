/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-journal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "fs-util.h"
#include "safe-xml.h"

static const char *const dir_names[] = {
  [VR_JOURNAL_DIR_POOL] = "pool",
  [VR_JOURNAL_DIR_SAVE] = "save",
  [VR_JOURNAL_DIR_NVRAM] = "nvram",
  [VR_JOURNAL_DIR_SWTPM] = "swtpm",
};

static VrJournalDir
dir_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (dir_names); i++)
    if (g_strcmp0 (name, dir_names[i]) == 0)
      return i;
  return VR_JOURNAL_DIR_POOL;
}

static void
journal_file_free (gpointer data)
{
  VrJournalFile *file = data;

  g_ptr_array_unref (file->names);
  g_free (file);
}

static void
journal_volume_free (gpointer data)
{
  VrJournalVolume *volume = data;

  g_free (volume->name);
  g_free (volume->key);
  g_free (volume);
}

VrJournalVolume *
vr_realize_journal_add_volume (VrRealizeJournal *journal, const char *name)
{
  VrJournalVolume *volume = g_new0 (VrJournalVolume, 1);

  volume->name = g_strdup (name);
  if (journal->volumes == NULL)
    journal->volumes = g_ptr_array_new_with_free_func (journal_volume_free);
  g_ptr_array_add (journal->volumes, volume);
  return volume;
}

VrRealizeJournal *
vr_realize_journal_new (void)
{
  VrRealizeJournal *journal = g_new0 (VrRealizeJournal, 1);

  journal->files = g_ptr_array_new_with_free_func (journal_file_free);
  return journal;
}

void
vr_realize_journal_clear (VrRealizeJournal *journal)
{
  g_free (journal->job);
  g_free (journal->pool.path);
  g_free (journal->save.path);
  g_free (journal->nvram.path);
  g_free (journal->swtpm.path);
  g_clear_pointer (&journal->files, g_ptr_array_unref);
  g_free (journal->remote_uri);
  g_free (journal->remote_pool);
  g_clear_pointer (&journal->volumes, g_ptr_array_unref);
  g_free (journal->domain_uuid);
  memset (journal, 0, sizeof *journal);
}

void
vr_realize_journal_free (VrRealizeJournal *journal)
{
  if (journal == NULL)
    return;
  vr_realize_journal_clear (journal);
  g_free (journal);
}

VrJournalFile *
vr_realize_journal_add_file (VrRealizeJournal *journal, VrJournalDir dir,
                             guint64 dev, guint64 ino)
{
  VrJournalFile *file = g_new0 (VrJournalFile, 1);

  file->dir = dir;
  file->dev = dev;
  file->ino = ino;
  file->names = g_ptr_array_new_with_free_func (g_free);
  if (journal->files == NULL)
    journal->files = g_ptr_array_new_with_free_func (journal_file_free);
  g_ptr_array_add (journal->files, file);
  return file;
}

static void
set_u64 (xmlNode *node, const char *name, guint64 value)
{
  char text[32];

  g_snprintf (text, sizeof text, "%" G_GUINT64_FORMAT, value);
  xmlSetProp (node, (const xmlChar *) name, (const xmlChar *) text);
}

static void
add_dir (xmlNode *top, const char *element, const VrJournalDirId *dir)
{
  xmlNode *node;

  if (dir->path == NULL)
    return;
  node = xmlNewTextChild (top, NULL, (const xmlChar *) element,
                          (const xmlChar *) dir->path);
  set_u64 (node, "dev", dir->dev);
  set_u64 (node, "ino", dir->ino);
}

static void
add_file (xmlNode *top, const VrJournalFile *file)
{
  xmlNode *node;

  if (file->names->len == 0)
    return;
  node = xmlNewChild (top, NULL, (const xmlChar *) "file", NULL);
  xmlSetProp (node, (const xmlChar *) "dir",
              (const xmlChar *) dir_names[file->dir]);
  set_u64 (node, "dev", file->dev);
  set_u64 (node, "ino", file->ino);
  if (file->sealed)
    {
      set_u64 (node, "size", file->size);
      g_autofree char *mtime = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                file->mtime_ns);

      xmlSetProp (node, (const xmlChar *) "mtime-ns",
                  (const xmlChar *) mtime);
    }
  if (file->saved_state)
    xmlSetProp (node, (const xmlChar *) "role",
                (const xmlChar *) "saved-state");
  for (guint i = 0; i < file->names->len; i++)
    xmlNewTextChild (node, NULL, (const xmlChar *) "name",
                     (const xmlChar *) file->names->pdata[i]);
}

/* <remote uri= pool=><volume name= key=/>…</remote> */
static void
add_remote (xmlNode *top, const VrRealizeJournal *journal)
{
  xmlNode *node;

  if (journal->remote_uri == NULL)
    return;
  node = xmlNewChild (top, NULL, (const xmlChar *) "remote", NULL);
  xmlSetProp (node, (const xmlChar *) "uri",
              (const xmlChar *) journal->remote_uri);
  if (journal->remote_pool != NULL)
    xmlSetProp (node, (const xmlChar *) "pool",
                (const xmlChar *) journal->remote_pool);
  for (guint i = 0; journal->volumes != NULL && i < journal->volumes->len;
       i++)
    {
      VrJournalVolume *volume = journal->volumes->pdata[i];
      xmlNode *child = xmlNewChild (node, NULL, (const xmlChar *) "volume",
                                    NULL);

      xmlSetProp (child, (const xmlChar *) "name",
                  (const xmlChar *) volume->name);
      if (volume->key != NULL)
        xmlSetProp (child, (const xmlChar *) "key",
                    (const xmlChar *) volume->key);
    }
}

static void
add_flag (xmlNode *top, const char *name, gboolean value)
{
  if (value)
    xmlNewChild (top, NULL, (const xmlChar *) name, NULL);
}

gboolean
vr_realize_journal_write (VrStore *store, VrPlannedSystem *system,
                          const VrRealizeJournal *journal, GError **error)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *top = xmlNewNode (NULL, (const xmlChar *) "realize-journal");
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);
  g_autofree char *text = NULL;

  xmlDocSetRootElement (doc, top);
  if (journal->job != NULL)
    xmlSetProp (top, (const xmlChar *) "job", (const xmlChar *) journal->job);
  add_dir (top, "pool-dir", &journal->pool);
  add_dir (top, "save-dir", &journal->save);
  add_dir (top, "nvram-dir", &journal->nvram);
  add_dir (top, "swtpm-dir", &journal->swtpm);
  for (guint i = 0; journal->files != NULL && i < journal->files->len; i++)
    add_file (top, journal->files->pdata[i]);
  add_remote (top, journal);
  if (journal->domain_uuid != NULL)
    {
      xmlNode *dom = xmlNewChild (top, NULL, (const xmlChar *) "domain",
                                  NULL);

      xmlSetProp (dom, (const xmlChar *) "uuid",
                  (const xmlChar *) journal->domain_uuid);
      if (journal->defined)
        xmlSetProp (dom, (const xmlChar *) "defined",
                    (const xmlChar *) "yes");
    }
  add_flag (top, "restoring", journal->restoring);
  add_flag (top, "handed-off", journal->handed_off);
  add_flag (top, "finished", journal->finished);
  text = vr_xml_to_string (doc);
  return vr_write_file_atomic (path, text, -1, error);
}

static guint64
node_u64 (xmlNode *node, const char *name)
{
  g_autofree char *text = (char *) xmlGetProp (node, (const xmlChar *) name);
  guint64 value = 0;

  if (text != NULL)
    g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL);
  return value;
}

static gint64
node_i64 (xmlNode *node, const char *name)
{
  g_autofree char *text = (char *) xmlGetProp (node, (const xmlChar *) name);
  gint64 value = 0;

  if (text != NULL)
    g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value,
                              NULL);
  return value;
}

static void
read_dir (xmlDoc *doc, const char *element, VrJournalDirId *dir)
{
  g_autofree char *expr = g_strdup_printf ("/*/%s", element);
  xmlNode *node = vr_xml_xpath_node (doc, expr);
  xmlChar *path;

  if (node == NULL)
    return;
  path = xmlNodeGetContent (node);
  dir->path = *path ? g_strdup ((const char *) path) : NULL;
  xmlFree (path);
  dir->dev = node_u64 (node, "dev");
  dir->ino = node_u64 (node, "ino");
}

static void
read_file (VrRealizeJournal *journal, xmlNode *node)
{
  g_autofree char *dir = (char *) xmlGetProp (node, (const xmlChar *) "dir");
  g_autofree char *role = (char *) xmlGetProp (node,
                                               (const xmlChar *) "role");
  VrJournalFile *file = vr_realize_journal_add_file (
      journal, dir_from_name (dir),
      node_u64 (node, "dev"), node_u64 (node, "ino"));

  file->sealed = xmlHasProp (node, (const xmlChar *) "size") != NULL
                 && xmlHasProp (node, (const xmlChar *) "mtime-ns") != NULL;
  file->size = node_u64 (node, "size");
  file->mtime_ns = node_i64 (node, "mtime-ns");
  file->saved_state = g_strcmp0 (role, "saved-state") == 0;

  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      xmlChar *name;

      if (child->type != XML_ELEMENT_NODE
          || !xmlStrEqual (child->name, (const xmlChar *) "name"))
        continue;
      name = xmlNodeGetContent (child);
      g_ptr_array_add (file->names, g_strdup ((const char *) name));
      xmlFree (name);
    }
}

static void
read_files (VrRealizeJournal *journal, xmlDoc *doc)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) files = xmlXPathEvalExpression (
      (const xmlChar *) "/*/file", ctxt);

  for (int i = 0; files != NULL && files->nodesetval != NULL
                  && i < files->nodesetval->nodeNr; i++)
    read_file (journal, files->nodesetval->nodeTab[i]);
}

static void
read_remote (VrRealizeJournal *journal, xmlDoc *doc)
{
  xmlNode *node = vr_xml_xpath_node (doc, "/*/remote");

  if (node == NULL)
    return;
  journal->remote_uri = (char *) xmlGetProp (node, (const xmlChar *) "uri");
  journal->remote_pool = (char *) xmlGetProp (node, (const xmlChar *) "pool");
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      g_autofree char *name = NULL;
      VrJournalVolume *volume;

      if (child->type != XML_ELEMENT_NODE
          || !xmlStrEqual (child->name, (const xmlChar *) "volume"))
        continue;
      name = (char *) xmlGetProp (child, (const xmlChar *) "name");
      if (name == NULL)
        continue;
      volume = vr_realize_journal_add_volume (journal, name);
      volume->key = (char *) xmlGetProp (child, (const xmlChar *) "key");
    }
}

/* Journals are a few KiB; anything larger is not one. */
#define JOURNAL_MAX_SIZE (1024 * 1024)

VrRealizeJournal *
vr_realize_journal_read (VrStore *store, VrPlannedSystem *system,
                         GError **error)
{
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (VrRealizeJournal) journal = NULL;
  g_autofree char *defined = NULL;
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0 && errno == ENOENT)
    return NULL;
  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot read %s", path);
      return NULL;
    }
  doc = vr_xml_parse_fd (fd, path, JOURNAL_MAX_SIZE, "realize-journal",
                         error);
  close (fd);
  if (doc == NULL)
    return NULL;
  journal = vr_realize_journal_new ();
  journal->job = vr_xml_xpath_string (doc, "string(/*/@job)");
  read_dir (doc, "pool-dir", &journal->pool);
  read_dir (doc, "save-dir", &journal->save);
  read_dir (doc, "nvram-dir", &journal->nvram);
  read_dir (doc, "swtpm-dir", &journal->swtpm);
  read_files (journal, doc);
  read_remote (journal, doc);
  journal->domain_uuid = vr_xml_xpath_string (doc, "string(/*/domain/@uuid)");
  defined = vr_xml_xpath_string (doc, "string(/*/domain/@defined)");
  journal->defined = g_strcmp0 (defined, "yes") == 0;
  journal->restoring = vr_xml_xpath_node (doc, "/*/restoring") != NULL;
  journal->handed_off = vr_xml_xpath_node (doc, "/*/handed-off") != NULL;
  journal->finished = vr_xml_xpath_node (doc, "/*/finished") != NULL;
  return g_steal_pointer (&journal);
}

gboolean
vr_realize_journal_exists (VrStore *store, VrPlannedSystem *system)
{
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

void
vr_realize_journal_remove (VrStore *store, VrPlannedSystem *system)
{
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);
  g_autofree char *dir = g_path_get_dirname (path);

  if (unlink (path) == 0)
    vr_fsync_dir (dir, NULL);
}
