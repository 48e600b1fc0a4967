/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "domain-xml.h"
#include "errors.h"
#include "findings.h"
#include "import-dir.h"
#include "libvirt-util.h"
#include "pool.h"
#include "realize-journal.h"
#include "realize-private.h"
#include "safe-xml.h"
#include "test-hooks.h"
#include "validate.h"


static void
realize_clear (Realize *r)
{
  g_free (r->journal.pool_dir);
  g_free (r->journal.pool_file);
  g_free (r->journal.domain_uuid);
  g_free (r->journal.managed_save);
  g_clear_pointer (&r->journal.disk_files, g_ptr_array_unref);
  g_clear_pointer (&r->disks, g_ptr_array_unref);
  g_clear_pointer (&r->doc, xmlFreeDoc);
  vr_import_dir_free (r->import);
  g_free (r->pool_path);
  g_free (r->xml);
  if (r->dom != NULL)
    virDomainFree (r->dom);
}

const char *
vr_realize_name (Realize *r)
{
  return vr_planned_system_get_name (r->system);
}

/* The pool the realize targets, where host paths are the realize's own;
 * NULL for the connection's default (libvirt's image directory, which
 * validation allows anyway) or a pool that cannot be resolved (begin
 * says why). */
static char *
realize_pool_dir (Realize *r)
{
  if (r->options->pool_dir != NULL)
    return g_strdup (r->options->pool_dir);
  if (r->options->pool == NULL)
    return NULL;
  return vr_pool_resolve_dir (r->conn, r->options->pool, NULL, NULL);
}

/* Step: validate. Any error finding stops the realize before it made
 * anything. */
static gboolean
check_fits (Realize *r, VrHostCaps *caps, GError **error)
{
  g_autofree char *pool_dir = realize_pool_dir (r);
  VrValidateOptions options = {
    .host_access_allowed = r->options->host_access_allowed,
    .pool_dir = pool_dir,
  };
  g_autoptr (GPtrArray) findings = vr_validate_planned_with (
      caps, r->store, r->system, &options, error);
  g_autoptr (GString) errors = g_string_new (NULL);
  guint count = 0;

  if (findings == NULL)
    return FALSE;
  if (r->options->copy_disks)
    vr_findings_remove_id (findings, VR_FINDING_DISK_IN_IMPORT);
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (finding->severity != VR_SEVERITY_ERROR)
        continue;
      if (count++ < 3)
        g_string_append_printf (errors, "%s%s %s", count > 1 ? "; " : "",
                                finding->id, finding->message);
    }
  if (count == 0)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "planned system '%s' does not fit this host: %s%s (see "
               "'virt-realize validate %s')", vr_realize_name (r), errors->str,
               count > 3 ? "; …" : "", vr_realize_name (r));
  return FALSE;
}

static gboolean
check_state (Realize *r, GError **error)
{
  VrPlannedState state = vr_planned_system_get_state (r->system);

  if (state == VR_PLANNED_STATE_REALIZING
      && !vr_realize_recover (r->store, r->conn, r->system, error))
    return FALSE;
  state = vr_planned_system_get_state (r->system);
  if (state == VR_PLANNED_STATE_PLANNED || state == VR_PLANNED_STATE_FAILED)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "planned system '%s' is %s already (as domain '%s'); "
               "destroy it to forget it", vr_realize_name (r),
               vr_planned_state_to_string (state),
               vr_planned_system_get_domain (r->system));
  return FALSE;
}

/* Re-reads the import directory: it must still hold the VM we planned. */
static gboolean
open_import (Realize *r, GError **error)
{
  r->import = vr_import_dir_open (
      vr_planned_system_get_import_dir (r->system), error);
  if (r->import == NULL)
    return FALSE;
  /* The agent was handed the directory as a descriptor its caller could
   * read: it reads that directory again, never one put at its path. */
  if (!vr_planned_system_is_import_dir (r->system, r->import))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "%s is not the directory that was imported (it was "
                   "replaced or moved); destroy and import the planned "
                   "system again", r->import->path);
      return FALSE;
    }
  if (g_str_equal (r->import->uuid,
                   vr_planned_system_get_source_uuid (r->system))
      && (vr_planned_system_get_saved_state_discarded (r->system)
          || g_strcmp0 (r->import->save_file,
                        vr_planned_system_get_save_file (r->system)) == 0))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "%s changed since it was imported (UUID %s, save image %s); "
               "destroy and import the planned system again",
               r->import->path, r->import->uuid,
               r->import->save_file ? r->import->save_file : "none");
  return FALSE;
}

static gboolean
begin (Realize *r, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s.save", vr_realize_name (r));

  r->journal.pool_dir = vr_pool_resolve_dir (r->conn, r->options->pool,
                                             r->options->pool_dir, error);
  if (r->journal.pool_dir == NULL)
    return FALSE;
  r->journal.pool_file = g_steal_pointer (&file);
  r->journal.disk_files = g_ptr_array_new_with_free_func (g_free);
  r->pool_path = g_build_filename (r->journal.pool_dir, r->journal.pool_file,
                                   NULL);
  vr_planned_system_set_state (r->system, VR_PLANNED_STATE_REALIZING);
  return vr_realize_journal_write (r->store, r->system, &r->journal, error)
         && vr_store_save_record (r->store, r->system, error);
}

void
vr_realize_copy_progress (guint64 done, guint64 total, gpointer user_data)
{
  Realize *r = user_data;

  vr_progress_set_bytes (r->progress, r->bytes_before + done,
                         MAX (r->bytes_total, r->bytes_before + total));
  /* Even the last report comes before the rename: still mid-copy. */
  if (done > 0)
    vr_test_hook_stall ("copy", r->cancellable);
  vr_test_hook_slow_copy ();
}

static gboolean
copy_state (Realize *r, GError **error)
{
  int dir_fd = -1;
  int src = vr_import_dir_open_file (r->import, r->import->save_file, error);
  gboolean ok;

  if (src < 0)
    return FALSE;
  dir_fd = open (r->journal.pool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open pool directory %s",
                          r->journal.pool_dir);
      close (src);
      return FALSE;
    }
  ok = vr_copy_fd_to (src, dir_fd, r->journal.pool_file, 0600,
                      r->options->copy_flags, r->cancellable,
                      vr_realize_copy_progress, r, NULL, error);
  close (src);
  close (dir_fd);
  if (!ok)
    g_prefix_error (error, "copying %s/%s into %s: ", r->import->path,
                    r->import->save_file, r->journal.pool_dir);
  r->bytes_before += r->import->save->file_size;
  return ok;
}

/* One XML is resumed: the validated one. The planned XML always goes
 * into the copy's header (libvirt checks that it is ABI-compatible with
 * the saved guest), so what libvirt resumes is what was validated and
 * what GetDomainXML shows, never the image's own XML (which an edit
 * would otherwise leave in force, e.g. a VNC listener on 0.0.0.0). */
static gboolean
update_image_xml (Realize *r, GError **error)
{
  if (virDomainSaveImageDefineXML (r->conn, r->pool_path, r->xml, 0) == 0)
    return TRUE;
  vr_libvirt_set_error (error, "cannot write the planned XML into %s",
                        r->pool_path);
  return FALSE;
}

/* libvirt would quietly update a defined domain of the same name and
 * UUID, so an existing one is refused here; a name clash with another UUID
 * libvirt refuses itself. */
static gboolean
define_domain (Realize *r, GError **error)
{
  g_autoptr (virDomain) existing = virDomainLookupByUUIDString (
      r->conn, vr_planned_system_get_uuid (r->system));

  if (existing != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "a domain with UUID %s is defined already ('%s')",
                   vr_planned_system_get_uuid (r->system),
                   virDomainGetName (existing));
      return FALSE;
    }
  r->dom = virDomainDefineXMLFlags (r->conn, r->xml,
                                    VIR_DOMAIN_DEFINE_VALIDATE);
  if (r->dom == NULL)
    {
      vr_libvirt_set_error (error, "libvirt refused to define '%s'",
                            vr_realize_name (r));
      return FALSE;
    }
  r->journal.domain_uuid = g_strdup (vr_planned_system_get_uuid (r->system));
  return vr_realize_journal_write (r->store, r->system, &r->journal, error);
}

static gboolean
prepare_link (Realize *r, GError **error)
{
  r->journal.managed_save = vr_handoff_managed_save_path (r->conn,
                                                          vr_realize_name (r));
  if (r->journal.managed_save == NULL)
    return TRUE;
  if (g_file_test (r->journal.managed_save, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "%s exists already: a managed save of another domain "
                   "named '%s' is in the way", r->journal.managed_save,
                   vr_realize_name (r));
      g_clear_pointer (&r->journal.managed_save, g_free);
      return FALSE;
    }
  return TRUE;
}

static gboolean
hand_off (Realize *r, GError **error)
{
  gboolean ok;

  if (r->handoff == VR_HANDOFF_LINK)
    {
      if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
        return FALSE;
      ok = vr_handoff_link (r->conn, r->dom, r->pool_path, r->cancellable,
                            error);
    }
  else
    ok = vr_handoff_managed_save (
        r->conn, r->dom, r->pool_path, r->xml,
        vr_planned_system_get_save_was_running (r->system), error);
  if (!ok)
    return FALSE;
  r->journal.handed_off = TRUE;
  if (unlink (r->pool_path) < 0 && errno != ENOENT)
    g_debug ("cannot remove %s: %s", r->pool_path, g_strerror (errno));
  return TRUE;
}

static gboolean
step (Realize *r, GError **error)
{
  vr_progress_next (r->progress);
  /* "copy" stalls in the middle of the copy, not before it. */
  if (g_strcmp0 (vr_progress_get_phase (r->progress), "copy") != 0)
    vr_test_hook_stall (vr_progress_get_phase (r->progress), r->cancellable);
  return !g_cancellable_set_error_if_cancelled (r->cancellable, error);
}

static gboolean
copy_files (Realize *r, GError **error)
{
  gboolean has_save = vr_planned_system_get_save_file (r->system) != NULL;

  if (!vr_realize_plan_disks (r, error))
    return FALSE;
  r->bytes_total += has_save ? r->import->save->file_size : 0;
  if ((has_save && !copy_state (r, error))
      || !vr_realize_copy_disks (r, error))
    return FALSE;
  r->xml = vr_xml_to_string (r->doc);
  return TRUE;
}

static gboolean
transfer_state (Realize *r, GError **error)
{
  if (vr_planned_system_get_save_file (r->system) == NULL)
    return step (r, error) && copy_files (r, error) && step (r, error)
           && step (r, error) && define_domain (r, error) && step (r, error);
  return step (r, error) && copy_files (r, error)
         && step (r, error) && update_image_xml (r, error)
         && step (r, error)
         && (r->handoff != VR_HANDOFF_LINK || prepare_link (r, error))
         && define_domain (r, error)
         && step (r, error) && hand_off (r, error);
}

/* Removes what the journal says a realize made; safe to run twice. */
static void
undo (virConnectPtr conn, const VrRealizeJournal *journal)
{
  g_autofree char *pool_path = NULL;

  if (journal->managed_save != NULL && journal->domain_uuid != NULL)
    unlink (journal->managed_save);
  if (journal->domain_uuid != NULL && conn != NULL)
    {
      g_autoptr (virDomain) dom = virDomainLookupByUUIDString (
          conn, journal->domain_uuid);

      if (dom != NULL && virDomainIsActive (dom) == 1)
        virDomainDestroy (dom);
      if (dom != NULL)
        virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                     | VIR_DOMAIN_UNDEFINE_NVRAM);
    }
  if (journal->pool_dir == NULL || journal->pool_file == NULL)
    return;
  vr_realize_undo_disks (journal);
  vr_copy_remove_temps (journal->pool_dir, journal->pool_file);
  if (!journal->handed_off)
    {
      pool_path = g_build_filename (journal->pool_dir, journal->pool_file,
                                    NULL);
      unlink (pool_path);
    }
}

static void
record (Realize *r, VrPlannedState state, int code, const char *message)
{
  g_autoptr (GError) local = NULL;

  vr_planned_system_set_state (r->system, state);
  vr_planned_system_set_last_job (r->system, code, message);
  if (!vr_store_save_record (r->store, r->system, &local))
    g_warning ("cannot record the outcome of realizing '%s': %s",
               vr_realize_name (r), local->message);
  vr_realize_journal_remove (r->store, r->system);
}

static void
roll_back (Realize *r, const GError *error)
{
  gboolean cancelled = g_error_matches (error, G_IO_ERROR,
                                        G_IO_ERROR_CANCELLED);

  undo (r->conn, &r->journal);
  record (r, cancelled ? VR_PLANNED_STATE_PLANNED : VR_PLANNED_STATE_FAILED,
          vr_error_get_code (error), error->message);
}

static gboolean
finish (Realize *r, GError **error)
{
  g_autofree char *message = NULL;

  r->journal.finished = TRUE;
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return FALSE;
  vr_planned_system_set_domain (r->system, vr_realize_name (r));
  message = g_strdup_printf ("realized as domain '%s'%s", vr_realize_name (r),
                             vr_planned_system_get_save_file (r->system)
                                 ? (r->handoff == VR_HANDOFF_LINK
                                        ? "; its saved state is handed to "
                                          "libvirt (link)"
                                        : "; its saved state is handed to "
                                          "libvirt (managed save)")
                                 : "");
  record (r, VR_PLANNED_STATE_REALIZED, VR_ERROR_COMPLETED, message);
  vr_pool_refresh (r->conn, r->options->pool);
  return TRUE;
}

static void
add_steps (VrProgress *progress)
{
  vr_progress_add_step (progress, "validate", 2);
  vr_progress_add_step (progress, "copy", 85);
  vr_progress_add_step (progress, "update", 1);
  vr_progress_add_step (progress, "define", 2);
  vr_progress_add_step (progress, "handoff", 8);
  vr_progress_add_step (progress, "start", 2);
}

static gboolean
start_domain (Realize *r, GError **error)
{
  vr_progress_next (r->progress);
  if (!r->options->start || virDomainCreate (r->dom) == 0)
    return TRUE;
  vr_libvirt_set_error (error, "realized '%s', but starting it failed",
                        vr_realize_name (r));
  return FALSE;
}

static gboolean
run_locked (Realize *r, VrHostCaps *caps, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!check_state (r, error))
    return FALSE;
  vr_progress_next (r->progress);
  if (!check_fits (r, caps, error) || !open_import (r, error))
    return FALSE;
  r->doc = xmlCopyDoc (vr_planned_system_get_doc (r->system), 1);
  r->handoff = vr_handoff_resolve (r->conn, r->options->handoff);
  if (!begin (r, &local) || !transfer_state (r, &local)
      || !finish (r, &local))
    {
      roll_back (r, local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!start_domain (r, error))
    return FALSE;
  vr_progress_finish (r->progress);
  return TRUE;
}

gboolean
vr_realize (VrStore *store, VrHostCaps *caps, virConnectPtr conn,
            VrPlannedSystem *system, const VrRealizeOptions *options,
            VrProgress *progress, GCancellable *cancellable, GError **error)
{
  g_autoptr (VrStoreLock) lock = vr_store_lock (store, system, error);
  Realize r = { .store = store, .conn = conn, .system = system,
                .options = options, .progress = progress,
                .cancellable = cancellable };
  gboolean ok;

  if (lock == NULL)
    return FALSE;
  add_steps (progress);
  ok = run_locked (&r, caps, error);
  realize_clear (&r);
  return ok;
}

gboolean
vr_realize_recover (VrStore *store, virConnectPtr conn,
                    VrPlannedSystem *system, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (VrRealizeJournal) journal = NULL;

  if (vr_planned_system_get_state (system) != VR_PLANNED_STATE_REALIZING)
    return TRUE;
  journal = vr_realize_journal_read (store, system, &local);
  if (journal != NULL && journal->finished)
    {
      vr_planned_system_set_state (system, VR_PLANNED_STATE_REALIZED);
      vr_planned_system_set_domain (system,
                                    vr_planned_system_get_name (system));
      vr_planned_system_set_last_job (system, VR_ERROR_COMPLETED,
                                      "realized (the job's last record was "
                                      "interrupted)");
    }
  else
    {
      if (journal != NULL)
        undo (conn, journal);
      vr_planned_system_set_state (system, VR_PLANNED_STATE_PLANNED);
      vr_planned_system_set_last_job (system, VR_ERROR_FAILED,
                                      "interrupted: the realize did not "
                                      "finish and was rolled back");
    }
  if (!vr_store_save_record (store, system, error))
    return FALSE;
  vr_realize_journal_remove (store, system);
  return TRUE;
}
