/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "planned-system.h"

#include <string.h>
#include <unistd.h>

#include "domain-xml.h"
#include "errors.h"
#include "safe-xml.h"

struct _VrPlannedSystem {
  GObject parent_instance;

  char *uuid;
  char *source_uuid;
  gboolean saved_state_discarded;
  char *name;
  char *import_dir;
  guint64 import_dev; /* 0 and 0: not recorded */
  guint64 import_ino;
  char *save_file;
  char *nvram_file;   /* relative to the import directory */
  guint64 nvram_size;
  char *tpm_folder;   /* "tpm/tpm2", relative to the import directory */
  gboolean tpm_discarded;
  GPtrArray *snapshots; /* names, parents first */
  char *current_snapshot;
  guint64 save_size;
  gint64 save_mtime_ns;  /* 0: not recorded (an older record) */
  gboolean save_was_running;
  GDateTime *created;
  gboolean author_known; /* FALSE: a record from before authors */
  guint author;          /* the uid whose XML this is */
  gboolean owner_known;
  guint owner;           /* the uid that imported it */
  xmlDoc *doc;
  VrPlannedState state;
  int last_job_code;
  char *last_job_message;
  gboolean rollback_pending;
  GDateTime *last_job_time;
  char *domain;
  char *connection;   /* the URI the domain was defined on */
};

G_DEFINE_TYPE (VrPlannedSystem, vr_planned_system, G_TYPE_OBJECT)

static const char *const state_names[] = {
  [VR_PLANNED_STATE_PLANNED] = "planned",
  [VR_PLANNED_STATE_REALIZING] = "realizing",
  [VR_PLANNED_STATE_REALIZED] = "realized",
  [VR_PLANNED_STATE_FAILED] = "failed",
};

const char *
vr_planned_state_to_string (VrPlannedState state)
{
  g_return_val_if_fail (state < G_N_ELEMENTS (state_names), NULL);
  return state_names[state];
}

gboolean
vr_planned_state_from_string (const char *text, VrPlannedState *state)
{
  for (guint i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (g_strcmp0 (text, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

static void
vr_planned_system_finalize (GObject *object)
{
  VrPlannedSystem *self = VR_PLANNED_SYSTEM (object);

  g_free (self->uuid);
  g_free (self->source_uuid);
  g_free (self->name);
  g_free (self->import_dir);
  g_free (self->save_file);
  g_free (self->nvram_file);
  g_free (self->tpm_folder);
  g_clear_pointer (&self->snapshots, g_ptr_array_unref);
  g_free (self->current_snapshot);
  g_clear_pointer (&self->created, g_date_time_unref);
  g_clear_pointer (&self->doc, xmlFreeDoc);
  g_free (self->last_job_message);
  g_clear_pointer (&self->last_job_time, g_date_time_unref);
  g_free (self->domain);
  g_free (self->connection);
  G_OBJECT_CLASS (vr_planned_system_parent_class)->finalize (object);
}

static void
vr_planned_system_class_init (VrPlannedSystemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_planned_system_finalize;
}

static void
vr_planned_system_init (VrPlannedSystem *self)
{
  self->state = VR_PLANNED_STATE_PLANNED;
}

/* The record keeps these paths as XML text, which holds no control
 * character and only UTF-8: a folder or file named otherwise would be
 * imported and then be unreadable (the planned system lost). */
static gboolean
recordable (const char *path)
{
  if (path == NULL)
    return TRUE;
  if (!g_utf8_validate (path, -1, NULL))
    return FALSE;
  for (const char *p = path; *p != '\0'; p++)
    if ((guchar) *p < 0x20)
      return FALSE;
  return TRUE;
}

static gboolean
check_recordable (VrPlannedSystem *self, GError **error)
{
  const char *const paths[] = { self->save_file, self->nvram_file,
                                self->tpm_folder };

  if (!recordable (self->import_dir))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "import directory '%s': its path has a control character "
                   "or is not UTF-8; rename the folder", self->import_dir);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    if (!recordable (paths[i]))
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s in %s: its name has a control character or is not "
                     "UTF-8; rename it", paths[i], self->import_dir);
        return FALSE;
      }
  return TRUE;
}

/* libvirt restores a saved state only into the domain of the same name
 * and UUID (docs/libvirt-handoff.md). */
static gboolean
check_identity_kept (VrImportDir *dir, const char *name, VrImportFlags flags,
                     GError **error)
{
  if (dir->save == NULL || (flags & VR_IMPORT_DISCARD_SAVED_STATE))
    return TRUE;
  if (flags & VR_IMPORT_NEW_ID)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s/%s: VR1710 the saved state is bound to the VM's UUID "
                   "%s and cannot follow a new identity (hint: import with "
                   "both the new-id and discard-saved-state options; the "
                   "copy then boots from its disks)",
                   dir->path, dir->save_file, dir->uuid);
      return FALSE;
    }
  if (name != NULL && !g_str_equal (name, dir->name))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s/%s: the saved state belongs to the domain named '%s'; "
                   "libvirt restores it under no other name (import under "
                   "its own name, or with the discard-saved-state option)",
                   dir->path, dir->save_file, dir->name);
      return FALSE;
    }
  return TRUE;
}

static void
take_save_image (VrPlannedSystem *self, VrImportDir *dir)
{
  if (dir->save == NULL)
    return;
  self->save_file = g_strdup (dir->save_file);
  self->save_size = dir->save->file_size;
  self->save_mtime_ns = dir->save->file_mtime_ns;
  self->save_was_running = dir->save->was_running;
}

/* The guest's variable store and TPM travel with it; a new identity gets
 * a new TPM: a copy must not hold the original's keys. */
static void
take_firmware (VrPlannedSystem *self, VrImportDir *dir, VrImportFlags flags)
{
  if (dir->nvram != NULL)
    {
      self->nvram_file = g_strdup (dir->nvram->relpath);
      self->nvram_size = dir->nvram->size;
    }
  if (dir->tpm_files != NULL && (flags & VR_IMPORT_NEW_ID))
    self->tpm_discarded = TRUE;
  else if (dir->tpm_files != NULL)
    self->tpm_folder = g_build_filename (VR_IMPORT_TPM_DIR, dir->tpm_folder,
                                         NULL);
  for (guint i = 0; dir->snapshots && i < dir->snapshots->len; i++)
    {
      VrImportSnapshot *snapshot = dir->snapshots->pdata[i];

      if (self->snapshots == NULL)
        self->snapshots = g_ptr_array_new_with_free_func (g_free);
      g_ptr_array_add (self->snapshots, g_strdup (snapshot->name));
      if (snapshot->current && self->current_snapshot == NULL)
        self->current_snapshot = g_strdup (snapshot->name);
    }
}

VrPlannedSystem *
vr_planned_system_new_from_import (VrImportDir *dir, const char *name,
                                   VrImportFlags flags, GError **error)
{
  g_autoptr (VrPlannedSystem) self = g_object_new (VR_TYPE_PLANNED_SYSTEM,
                                                   NULL);

  if (!check_identity_kept (dir, name, flags, error))
    return NULL;
  self->doc = xmlCopyDoc (dir->doc, 1);
  if (name != NULL && !vr_domain_xml_set_name (self->doc, name, error))
    return NULL;
  self->source_uuid = g_strdup (dir->uuid);
  self->uuid = (flags & VR_IMPORT_NEW_ID) ? g_uuid_string_random ()
                                          : g_strdup (dir->uuid);
  if (flags & VR_IMPORT_NEW_ID)
    {
      vr_domain_xml_set_uuid (self->doc, self->uuid);
      vr_domain_xml_new_macs (self->doc);
    }
  self->name = g_strdup (name ? name : dir->name);
  self->import_dir = g_strdup (dir->path);
  self->import_dev = dir->dev;
  self->import_ino = dir->ino;
  self->created = g_date_time_new_now_utc ();
  self->author_known = self->owner_known = TRUE;
  self->author = self->owner = getuid ();
  self->saved_state_discarded = dir->save != NULL
                                && (flags & VR_IMPORT_DISCARD_SAVED_STATE);
  if (!self->saved_state_discarded)
    take_save_image (self, dir);
  take_firmware (self, dir, flags);
  if (!check_recordable (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

static void
add_text_child (xmlNode *parent, const char *name, const char *text)
{
  xmlNewTextChild (parent, NULL, (const xmlChar *) name,
                   (const xmlChar *) text);
}

static void
set_prop (xmlNode *node, const char *name, const char *value)
{
  xmlNewProp (node, (const xmlChar *) name, (const xmlChar *) value);
}

static void
set_prop_u64 (xmlNode *node, const char *name, guint64 value)
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, value);

  set_prop (node, name, text);
}

static void
add_time_child (xmlNode *parent, const char *name, GDateTime *time)
{
  g_autofree char *text = g_date_time_format_iso8601 (time);

  add_text_child (parent, name, text);
}

static void
add_last_job (VrPlannedSystem *self, xmlNode *top)
{
  xmlNode *job;
  g_autofree char *code = g_strdup_printf ("%d", self->last_job_code);
  g_autofree char *when = g_date_time_format_iso8601 (self->last_job_time);

  job = xmlNewTextChild (top, NULL, (const xmlChar *) "last-job",
                         (const xmlChar *) self->last_job_message);
  set_prop (job, "code", code);
  set_prop (job, "time", when);
}

static void
add_firmware (VrPlannedSystem *self, xmlNode *top)
{
  xmlNode *node;

  if (self->nvram_file != NULL)
    {
      node = xmlNewChild (top, NULL, (const xmlChar *) "nvram", NULL);
      set_prop (node, "file", self->nvram_file);
      set_prop_u64 (node, "size", self->nvram_size);
    }
  if (self->tpm_folder != NULL)
    set_prop (xmlNewChild (top, NULL, (const xmlChar *) "tpm", NULL),
              "folder", self->tpm_folder);
  if (self->tpm_discarded)
    xmlNewChild (top, NULL, (const xmlChar *) "tpm-discarded", NULL);
  if (self->snapshots == NULL)
    return;
  node = xmlNewChild (top, NULL, (const xmlChar *) "snapshots", NULL);
  for (guint i = 0; i < self->snapshots->len; i++)
    {
      xmlNode *one = xmlNewTextChild (node, NULL,
                                      (const xmlChar *) "snapshot",
                                      self->snapshots->pdata[i]);

      if (g_strcmp0 (self->current_snapshot, self->snapshots->pdata[i]) == 0)
        set_prop (one, "current", "yes");
    }
}

char *
vr_planned_system_to_record (VrPlannedSystem *self)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *top = xmlNewNode (NULL, (const xmlChar *) "planned-system");
  xmlNode *import;

  xmlDocSetRootElement (doc, top);
  set_prop (top, "version", "1");
  add_text_child (top, "uuid", self->uuid);
  add_text_child (top, "name", self->name);
  add_text_child (top, "state", vr_planned_state_to_string (self->state));
  import = xmlNewTextChild (top, NULL, (const xmlChar *) "import-dir",
                           (const xmlChar *) self->import_dir);
  if (self->import_ino != 0)
    {
      set_prop_u64 (import, "dev", self->import_dev);
      set_prop_u64 (import, "ino", self->import_ino);
    }
  if (g_strcmp0 (self->source_uuid, self->uuid) != 0)
    add_text_child (top, "source-uuid", self->source_uuid);
  if (self->saved_state_discarded)
    xmlNewChild (top, NULL, (const xmlChar *) "saved-state-discarded", NULL);
  add_time_child (top, "created", self->created);
  if (self->author_known)
    set_prop_u64 (xmlNewChild (top, NULL, (const xmlChar *) "author", NULL),
                  "uid", self->author);
  if (self->owner_known)
    set_prop_u64 (xmlNewChild (top, NULL, (const xmlChar *) "owner", NULL),
                  "uid", self->owner);
  if (self->save_file != NULL)
    {
      xmlNode *save = xmlNewChild (top, NULL, (const xmlChar *) "save-image",
                                   NULL);

      set_prop (save, "file", self->save_file);
      set_prop_u64 (save, "size", self->save_size);
      if (self->save_mtime_ns > 0)
        set_prop_u64 (save, "mtime-ns", (guint64) self->save_mtime_ns);
      set_prop (save, "was-running", self->save_was_running ? "yes" : "no");
    }
  add_firmware (self, top);
  if (self->last_job_time != NULL)
    add_last_job (self, top);
  if (self->rollback_pending)
    xmlNewChild (top, NULL, (const xmlChar *) "rollback-pending", NULL);
  if (self->domain != NULL)
    add_text_child (top, "domain", self->domain);
  if (self->connection != NULL)
    add_text_child (top, "connection", self->connection);
  return vr_xml_to_string (doc);
}

static gboolean
record_error (GError **error, const char *display_name, const char *what)
{
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: %s is missing or invalid", display_name, what);
  return FALSE;
}

static GDateTime *
parse_time (xmlDoc *record, const char *expr)
{
  g_autofree char *text = vr_xml_xpath_string (record, expr);

  return text ? g_date_time_new_from_iso8601 (text, NULL) : NULL;
}

static guint64
xpath_u64 (xmlDoc *record, const char *expr)
{
  g_autofree char *text = vr_xml_xpath_string (record, expr);

  return text ? g_ascii_strtoull (text, NULL, 10) : 0;
}

static gboolean
load_save_image (VrPlannedSystem *self, xmlDoc *record)
{
  g_autofree char *running = NULL;

  self->save_file = vr_xml_xpath_string (
      record, "string(/planned-system/save-image/@file)");
  if (self->save_file == NULL)
    return TRUE;
  running = vr_xml_xpath_string (
      record, "string(/planned-system/save-image/@was-running)");
  self->save_size = xpath_u64 (record,
                               "string(/planned-system/save-image/@size)");
  self->save_mtime_ns = (gint64) MIN (
      xpath_u64 (record, "string(/planned-system/save-image/@mtime-ns)"),
      (guint64) G_MAXINT64);
  self->save_was_running = g_strcmp0 (running, "yes") == 0;
  return !strchr (self->save_file, '/');
}

static gboolean
is_inside_relpath (const char *path, const char *folder)
{
  return path == NULL
         || (g_str_has_prefix (path, folder) && path[strlen (folder)] == '/'
             && strstr (path, "..") == NULL);
}

static gboolean
load_firmware (VrPlannedSystem *self, xmlDoc *record)
{
  g_autoptr (GPtrArray) names = vr_xml_xpath_strings (
      record, "/planned-system/snapshots/snapshot");

  self->nvram_file = vr_xml_xpath_string (
      record, "string(/planned-system/nvram/@file)");
  self->nvram_size = xpath_u64 (record, "string(/planned-system/nvram/@size)");
  self->tpm_folder = vr_xml_xpath_string (
      record, "string(/planned-system/tpm/@folder)");
  self->tpm_discarded = vr_xml_xpath_node (
      record, "/planned-system/tpm-discarded") != NULL;
  self->current_snapshot = vr_xml_xpath_string (
      record, "string(/planned-system/snapshots/snapshot[@current='yes'])");
  if (names != NULL && names->len > 0)
    self->snapshots = g_steal_pointer (&names);
  return is_inside_relpath (self->nvram_file, VR_IMPORT_NVRAM_DIR)
         && is_inside_relpath (self->tpm_folder, VR_IMPORT_TPM_DIR);
}

static void
load_last_job (VrPlannedSystem *self, xmlDoc *record)
{
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;

  self->last_job_time = parse_time (record,
                                    "string(/planned-system/last-job/@time)");
  if (self->last_job_time == NULL)
    return;
  code = vr_xml_xpath_string (record,
                              "string(/planned-system/last-job/@code)");
  self->last_job_code = code ? (int) g_ascii_strtoll (code, NULL, 10) : 0;
  message = vr_xml_xpath_string (record, "string(/planned-system/last-job)");
  self->last_job_message = vr_message_bounded (message);
}

/* An optional <NAME uid='N'/>: FALSE when it is there but no uid. */
static gboolean
load_uid (xmlDoc *record, const char *name, gboolean *known, guint *uid)
{
  g_autofree char *expr = g_strdup_printf ("string(/planned-system/%s/@uid)",
                                           name);
  g_autofree char *node = g_strdup_printf ("/planned-system/%s", name);
  g_autofree char *text = vr_xml_xpath_string (record, expr);
  guint64 value;

  if (text == NULL || *text == '\0')
    return vr_xml_xpath_node (record, node) == NULL;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32 - 1, &value,
                                   NULL))
    return FALSE;
  *known = TRUE;
  *uid = (guint) value;
  return TRUE;
}

static gboolean
load_author (VrPlannedSystem *self, xmlDoc *record)
{
  return load_uid (record, "author", &self->author_known, &self->author)
         && load_uid (record, "owner", &self->owner_known, &self->owner);
}

static gboolean
load_record (VrPlannedSystem *self, xmlDoc *record, const char *display_name,
             GError **error)
{
  g_autofree char *uuid = vr_xml_xpath_string (
      record, "string(/planned-system/uuid)");
  g_autofree char *state = vr_xml_xpath_string (
      record, "string(/planned-system/state)");
  g_autofree char *source_uuid = vr_xml_xpath_string (
      record, "string(/planned-system/source-uuid)");

  self->uuid = vr_uuid_normalize (uuid);
  if (self->uuid == NULL)
    return record_error (error, display_name, "<uuid>");
  self->name = vr_xml_xpath_string (record, "string(/planned-system/name)");
  if (!vr_domain_name_is_valid (self->name))
    return record_error (error, display_name, "<name>");
  if (!vr_planned_state_from_string (state, &self->state))
    return record_error (error, display_name, "<state>");
  self->import_dir = vr_xml_xpath_string (
      record, "string(/planned-system/import-dir)");
  if (self->import_dir == NULL)
    return record_error (error, display_name, "<import-dir>");
  self->import_dev = xpath_u64 (record, "string(/planned-system/import-dir/@dev)");
  self->import_ino = xpath_u64 (record, "string(/planned-system/import-dir/@ino)");
  self->source_uuid = vr_uuid_normalize (source_uuid);
  if (self->source_uuid == NULL)
    self->source_uuid = g_strdup (self->uuid);
  self->saved_state_discarded = vr_xml_xpath_node (
      record, "/planned-system/saved-state-discarded") != NULL;
  self->created = parse_time (record, "string(/planned-system/created)");
  if (self->created == NULL)
    return record_error (error, display_name, "<created>");
  if (!load_author (self, record))
    return record_error (error, display_name, "<author> or <owner>");
  if (!load_save_image (self, record))
    return record_error (error, display_name, "<save-image>");
  if (!load_firmware (self, record))
    return record_error (error, display_name, "<nvram> or <tpm>");
  load_last_job (self, record);
  self->rollback_pending = vr_xml_xpath_node (
      record, "/planned-system/rollback-pending") != NULL;
  self->domain = vr_xml_xpath_string (record, "string(/planned-system/domain)");
  self->connection = vr_xml_xpath_string (
      record, "string(/planned-system/connection)");
  return TRUE;
}

VrPlannedSystem *
vr_planned_system_new_from_record (const char *record, gsize record_len,
                                   const char *domain_xml,
                                   gsize domain_xml_len,
                                   const char *display_name, GError **error)
{
  g_autoptr (VrPlannedSystem) self = g_object_new (VR_TYPE_PLANNED_SYSTEM,
                                                   NULL);
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (record, record_len,
                                                display_name, "planned-system",
                                                error);

  if (doc == NULL || !load_record (self, doc, display_name, error))
    return NULL;
  if (!vr_planned_system_set_domain_xml (self, domain_xml, domain_xml_len,
                                         error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
vr_planned_system_set_domain_xml (VrPlannedSystem *self, const char *xml,
                                  gsize len, GError **error)
{
  g_autoptr (xmlDoc) doc = vr_xml_parse_buffer (xml, len,
                                                "planned domain XML",
                                                "domain", error);
  g_autofree char *name = NULL;
  g_autofree char *uuid = NULL;

  if (doc == NULL
      || !vr_domain_xml_get_identity (doc, "planned domain XML", &name,
                                      &uuid, error))
    return FALSE;
  if (!g_str_equal (uuid, self->uuid))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "planned domain XML: /domain/uuid %s differs from the "
                   "planned system's %s (the UUID cannot be changed)", uuid,
                   self->uuid);
      return FALSE;
    }
  g_clear_pointer (&self->doc, xmlFreeDoc);
  self->doc = g_steal_pointer (&doc);
  g_free (self->name);
  self->name = g_steal_pointer (&name);
  return TRUE;
}

const char *
vr_planned_system_get_uuid (VrPlannedSystem *self)
{
  return self->uuid;
}

const char *
vr_planned_system_get_source_uuid (VrPlannedSystem *self)
{
  return self->source_uuid;
}

const char *
vr_planned_system_get_nvram_file (VrPlannedSystem *self)
{
  return self->nvram_file;
}

guint64
vr_planned_system_get_nvram_size (VrPlannedSystem *self)
{
  return self->nvram_size;
}

const char *
vr_planned_system_get_tpm_folder (VrPlannedSystem *self)
{
  return self->tpm_folder;
}

gboolean
vr_planned_system_get_tpm_discarded (VrPlannedSystem *self)
{
  return self->tpm_discarded;
}

GPtrArray *
vr_planned_system_get_snapshots (VrPlannedSystem *self)
{
  return self->snapshots;
}

const char *
vr_planned_system_get_current_snapshot (VrPlannedSystem *self)
{
  return self->current_snapshot;
}

gboolean
vr_planned_system_get_saved_state_discarded (VrPlannedSystem *self)
{
  return self->saved_state_discarded;
}

const char *
vr_planned_system_get_name (VrPlannedSystem *self)
{
  return self->name;
}

const char *
vr_planned_system_get_import_dir (VrPlannedSystem *self)
{
  return self->import_dir;
}

gboolean
vr_planned_system_is_import_dir (VrPlannedSystem *self, const VrImportDir *dir)
{
  if (self->import_ino == 0)
    return TRUE;
  return dir->dev == self->import_dev && dir->ino == self->import_ino;
}

const char *
vr_planned_system_get_save_file (VrPlannedSystem *self)
{
  return self->save_file;
}

guint64
vr_planned_system_get_save_size (VrPlannedSystem *self)
{
  return self->save_size;
}

gint64
vr_planned_system_get_save_mtime_ns (VrPlannedSystem *self)
{
  return self->save_mtime_ns;
}

gboolean
vr_planned_system_get_save_was_running (VrPlannedSystem *self)
{
  return self->save_was_running;
}

GDateTime *
vr_planned_system_get_created (VrPlannedSystem *self)
{
  return self->created;
}

xmlDoc *
vr_planned_system_get_doc (VrPlannedSystem *self)
{
  return self->doc;
}

char *
vr_planned_system_dup_domain_xml (VrPlannedSystem *self)
{
  return vr_xml_to_string (self->doc);
}

guint64
vr_planned_system_get_memory_kib (VrPlannedSystem *self)
{
  return vr_domain_xml_get_memory_kib (self->doc);
}

guint
vr_planned_system_get_vcpus (VrPlannedSystem *self)
{
  return vr_domain_xml_get_vcpus (self->doc);
}

VrPlannedState
vr_planned_system_get_state (VrPlannedSystem *self)
{
  return self->state;
}

/* What a realized system's user may want: resume the guest, forget the
 * record, or realize the import again (its domain is in the way). */
static char *
realized_what_to_do (VrPlannedSystem *self)
{
  return g_strdup_printf ("nothing is left to realize: the guest is "
                          "domain '%s' now; destroy this planned "
                          "system to forget it (the domain stays); to "
                          "realize the import directory again, undefine "
                          "that domain, destroy this planned system and "
                          "import %s again", self->domain, self->import_dir);
}

char *
vr_planned_system_not_realizable (VrPlannedSystem *self, char **what_to_do)
{
  const char *state = vr_planned_state_to_string (self->state);

  *what_to_do = NULL;
  if (self->state == VR_PLANNED_STATE_PLANNED
      || self->state == VR_PLANNED_STATE_FAILED)
    return NULL;
  if (self->state == VR_PLANNED_STATE_REALIZING)
    {
      *what_to_do = g_strdup ("wait for that realize to end");
      return g_strdup_printf ("planned system '%s' is %s already",
                              self->name, state);
    }
  *what_to_do = realized_what_to_do (self);
  if (self->connection != NULL)
    return g_strdup_printf ("planned system '%s' is %s already (as domain "
                            "'%s' on %s)", self->name, state, self->domain,
                            self->connection);
  return g_strdup_printf ("planned system '%s' is %s already (as domain "
                          "'%s')", self->name, state, self->domain);
}

gboolean
vr_planned_system_check_realizable (VrPlannedSystem *self, GError **error)
{
  g_autofree char *what_to_do = NULL;
  g_autofree char *why = vr_planned_system_not_realizable (self,
                                                           &what_to_do);

  if (why == NULL)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE, "%s; %s", why,
               what_to_do);
  return FALSE;
}

void
vr_planned_system_set_state (VrPlannedSystem *self, VrPlannedState state)
{
  self->state = state;
}

int
vr_planned_system_get_last_job_code (VrPlannedSystem *self)
{
  return self->last_job_code;
}

const char *
vr_planned_system_get_last_job_message (VrPlannedSystem *self)
{
  return self->last_job_message;
}

void
vr_planned_system_set_last_job (VrPlannedSystem *self, int code,
                                const char *message)
{
  self->last_job_code = code;
  g_free (self->last_job_message);
  self->last_job_message = vr_message_bounded (message);
  g_clear_pointer (&self->last_job_time, g_date_time_unref);
  self->last_job_time = g_date_time_new_now_utc ();
}

const char *
vr_planned_system_get_domain (VrPlannedSystem *self)
{
  return self->domain;
}

void
vr_planned_system_set_domain (VrPlannedSystem *self, const char *domain)
{
  g_free (self->domain);
  self->domain = g_strdup (domain);
}

const char *
vr_planned_system_get_connection (VrPlannedSystem *self)
{
  return self->connection;
}

void
vr_planned_system_set_connection (VrPlannedSystem *self, const char *uri)
{
  g_free (self->connection);
  self->connection = g_strdup (uri);
}

gboolean
vr_planned_system_matches (VrPlannedSystem *self, const char *key)
{
  g_autofree char *uuid = vr_uuid_normalize (key);

  if (uuid != NULL && g_str_equal (uuid, self->uuid))
    return TRUE;
  return g_strcmp0 (key, self->name) == 0;
}

gboolean
vr_planned_system_get_rollback_pending (VrPlannedSystem *self)
{
  return self->rollback_pending;
}

void
vr_planned_system_set_rollback_pending (VrPlannedSystem *self,
                                        gboolean pending)
{
  self->rollback_pending = pending;
}

void
vr_planned_system_set_author (VrPlannedSystem *self, guint uid)
{
  self->author_known = TRUE;
  self->author = uid;
}

void
vr_planned_system_note_author (VrPlannedSystem *self, guint uid)
{
  /* Root's edit may have kept what a user wrote: it stays theirs. */
  if (uid == 0 && self->author_known && self->author != 0)
    return;
  vr_planned_system_set_author (self, uid);
}

gboolean
vr_planned_system_get_author (VrPlannedSystem *self, guint *uid)
{
  *uid = self->author;
  return self->author_known;
}

gboolean
vr_planned_system_author_may_reach_host (VrPlannedSystem *self, guint caller)
{
  return self->author_known && (self->author == 0 || self->author == caller);
}

void
vr_planned_system_set_owner (VrPlannedSystem *self, guint uid)
{
  self->owner_known = TRUE;
  self->owner = uid;
}

gboolean
vr_planned_system_get_owner (VrPlannedSystem *self, guint *uid)
{
  *uid = self->owner;
  return self->owner_known;
}
