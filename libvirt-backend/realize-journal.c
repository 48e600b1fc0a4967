/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-journal.h"

#include <unistd.h>

#include "fs-util.h"
#include "safe-xml.h"

void
vr_realize_journal_free (VrRealizeJournal *journal)
{
  if (journal == NULL)
    return;
  g_free (journal->pool_dir);
  g_free (journal->pool_file);
  g_free (journal->domain_uuid);
  g_free (journal->managed_save);
  g_clear_pointer (&journal->disk_files, g_ptr_array_unref);
  g_free (journal);
}

static void
add_child (xmlNode *top, const char *name, const char *value)
{
  if (value != NULL)
    xmlNewTextChild (top, NULL, (const xmlChar *) name,
                     (const xmlChar *) value);
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
  add_child (top, "pool-dir", journal->pool_dir);
  add_child (top, "pool-file", journal->pool_file);
  add_child (top, "domain-uuid", journal->domain_uuid);
  add_child (top, "managed-save", journal->managed_save);
  for (guint i = 0; journal->disk_files && i < journal->disk_files->len; i++)
    add_child (top, "disk-file", journal->disk_files->pdata[i]);
  if (journal->handed_off)
    add_child (top, "handed-off", "");
  if (journal->finished)
    add_child (top, "finished", "");
  text = vr_xml_to_string (doc);
  return vr_write_file_atomic (path, text, -1, error);
}

VrRealizeJournal *
vr_realize_journal_read (VrStore *store, VrPlannedSystem *system,
                         GError **error)
{
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr (xmlDoc) doc = NULL;
  VrRealizeJournal *journal;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!g_file_get_contents (path, &text, &len, error))
    return NULL;
  doc = vr_xml_parse_buffer (text, len, path, "realize-journal", error);
  if (doc == NULL)
    return NULL;
  journal = g_new0 (VrRealizeJournal, 1);
  journal->pool_dir = vr_xml_xpath_string (doc, "string(/*/pool-dir)");
  journal->pool_file = vr_xml_xpath_string (doc, "string(/*/pool-file)");
  journal->domain_uuid = vr_xml_xpath_string (doc, "string(/*/domain-uuid)");
  journal->managed_save = vr_xml_xpath_string (doc,
                                               "string(/*/managed-save)");
  journal->disk_files = vr_xml_xpath_strings (doc, "/*/disk-file");
  journal->handed_off = vr_xml_xpath_node (doc, "/*/handed-off") != NULL;
  journal->finished = vr_xml_xpath_node (doc, "/*/finished") != NULL;
  return journal;
}

void
vr_realize_journal_remove (VrStore *store, VrPlannedSystem *system)
{
  g_autofree char *path = vr_store_system_file (store, system,
                                                VR_REALIZE_JOURNAL);

  unlink (path);
}
