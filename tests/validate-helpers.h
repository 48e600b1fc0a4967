/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the validate tests share: domain XML variants made with libxml2
 * (and the edit module's patches), and assertions on findings. Header-only
 * so that each test program stays one file. */

#include <glib.h>
#include <string.h>

#include "edit.h"
#include "findings.h"
#include "import.h"
#include "safe-xml.h"
#include "store.h"
#include "testbed.h"
#include "validate.h"

static inline xmlDoc *
vt_parse (const char *xml)
{
  g_autoptr (GError) error = NULL;
  xmlDoc *doc = vr_xml_parse_buffer (xml, strlen (xml), "test XML", NULL,
                                     &error);

  g_assert_no_error (error);
  return doc;
}

static inline xmlDoc *
vt_parse_file (const char *path)
{
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &xml, NULL, &error);
  g_assert_no_error (error);
  return vt_parse (xml);
}

static inline void
vt_set (xmlDoc *doc, const char *assignment)
{
  g_autoptr (GError) error = NULL;

  vr_xml_patch_set (doc, assignment, &error);
  g_assert_no_error (error);
}

static inline void
vt_remove (xmlDoc *doc, const char *xpath)
{
  g_autoptr (GError) error = NULL;

  vr_xml_patch_remove (doc, xpath, &error);
  g_assert_no_error (error);
}

/* Adds fragment as the last child of the element parent selects. */
static inline void
vt_add (xmlDoc *doc, const char *parent, const char *fragment)
{
  g_autoptr (xmlDoc) part = vt_parse (fragment);
  xmlNode *where = vr_xml_xpath_node (doc, parent);

  g_assert_nonnull (where);
  xmlAddChild (where, xmlDocCopyNode (xmlDocGetRootElement (part), doc, 1));
}

/* Writes doc as dir/name and returns the path. */
static inline char *
vt_write (xmlDoc *doc, const char *dir, const char *name)
{
  g_autofree char *xml = vr_xml_to_string (doc);
  char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, xml, -1, &error);
  g_assert_no_error (error);
  return path;
}

static inline void
vt_log (GPtrArray *findings)
{
  for (guint i = 0; i < findings->len; i++)
    {
      g_autofree char *text = vr_finding_to_text (findings->pdata[i]);

      g_test_message ("%s", text);
    }
}

/* Writes doc as dir/domain.xml and validates that file. */
static inline GPtrArray *
vt_validate_doc (VrHostCaps *caps, VrStore *store, xmlDoc *doc,
                 const char *dir)
{
  g_autofree char *path = vt_write (doc, dir, "domain.xml");
  g_autoptr (GError) error = NULL;
  GPtrArray *findings = vr_validate_file (caps, store, path, &error);

  g_assert_no_error (error);
  vt_log (findings);
  return findings;
}

/* The finding with id and source (NULL: any source); fails the test when
 * there is none. */
static inline VrFinding *
vt_assert_finding (GPtrArray *findings, const char *id, const char *source)
{
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (g_str_equal (finding->id, id)
          && (source == NULL || g_strcmp0 (finding->source, source) == 0))
        return finding;
    }
  vt_log (findings);
  g_error ("no finding %s at %s", id, source ? source : "(any)");
  return NULL;
}

/* No error finding but those with id (NULL: none at all). */
static inline void
vt_assert_errors_only (GPtrArray *findings, const char *id)
{
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (finding->severity == VR_SEVERITY_ERROR
          && g_strcmp0 (finding->id, id) != 0)
        {
          vt_log (findings);
          g_error ("unexpected error finding %s at %s: %s", finding->id,
                   finding->source, finding->message);
        }
    }
}

/* Exactly the finding expected: it is there, at source, and no other
 * finding is an error. */
static inline VrFinding *
vt_assert_only (GPtrArray *findings, const char *id, const char *source)
{
  VrFinding *finding = vt_assert_finding (findings, id, source);

  vt_assert_errors_only (findings, id);
  return finding;
}

/* A planned system made from a private copy (*copy, for vt_forget) of a
 * test bed import directory. */
static inline VrPlannedSystem *
vt_plan_copy (VrStore *store, const char *import_dir, char **copy)
{
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system;

  *copy = vr_testbed_copy_import_dir (import_dir, &error);
  g_assert_no_error (error);
  system = vr_import_path (store, *copy, NULL, &error);
  g_assert_no_error (error);
  return system;
}

/* Forgets the planned system and removes (and frees) its copy. */
static inline void
vt_forget (VrStore *store, VrPlannedSystem *system, char *copy)
{
  g_autoptr (GError) error = NULL;

  vr_store_remove (store, system, &error);
  g_assert_no_error (error);
  vr_testbed_rmtree (copy);
  g_free (copy);
}
