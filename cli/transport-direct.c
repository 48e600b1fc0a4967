/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The in-process transport (virt-realize-direct): the backend and its jobs
 * in this process, with the caller's own rights. */
#include "config.h"

#include "transport-direct.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "edit.h"
#include "errors.h"
#include "export-job.h"
#include "import.h"
#include "job-states.h"
#include "libvirt-util.h"
#include "placement.h"
#include "realize-job.h"
#include "realize-remote.h"
#include "realized-domain.h"
#include "safe-xml.h"
#include "validate.h"
#include "verify-job.h"

typedef struct {
  VrCliTransport parent;
  char *uri;
  VrStore *store;
  GHashTable *jobs; /* id -> VrJob */
  char *export_dir;
  gboolean export_with_disks;
  char *export_remote_uri;
  guint next_id;
} Direct;

/* In-process the caller acts with their own rights: what reaches into
 * the host is theirs to allow, a warning (the agent refuses it). */
static const VrValidateOptions in_process = { .host_access_allowed = TRUE };

static VrCliSystem *
system_from_backend (VrPlannedSystem *planned)
{
  VrCliSystem *system = g_new0 (VrCliSystem, 1);
  GPtrArray *snapshots = vr_planned_system_get_snapshots (planned);

  system->name = g_strdup (vr_planned_system_get_name (planned));
  system->uuid = g_strdup (vr_planned_system_get_uuid (planned));
  system->state = g_strdup (
      vr_planned_state_to_string (vr_planned_system_get_state (planned)));
  system->import_dir = g_strdup (vr_planned_system_get_import_dir (planned));
  system->domain = g_strdup (vr_planned_system_get_domain (planned));
  system->connection = g_strdup (vr_planned_system_get_connection (planned));
  system->save_file = g_strdup (vr_planned_system_get_save_file (planned));
  system->has_saved_state = system->save_file != NULL;
  system->save_size = vr_planned_system_get_save_size (planned);
  system->save_was_running = vr_planned_system_get_save_was_running (planned);
  system->saved_state_discarded
      = vr_planned_system_get_saved_state_discarded (planned);
  system->nvram_file = g_strdup (vr_planned_system_get_nvram_file (planned));
  system->nvram_size = vr_planned_system_get_nvram_size (planned);
  system->tpm_folder = g_strdup (vr_planned_system_get_tpm_folder (planned));
  system->tpm_discarded = vr_planned_system_get_tpm_discarded (planned);
  if (snapshots != NULL)
    {
      system->snapshots = g_new0 (char *, snapshots->len + 1);
      for (guint i = 0; i < snapshots->len; i++)
        system->snapshots[i] = g_strdup (snapshots->pdata[i]);
    }
  system->current_snapshot
      = g_strdup (vr_planned_system_get_current_snapshot (planned));
  system->memory_kib = vr_planned_system_get_memory_kib (planned);
  system->vcpus = vr_planned_system_get_vcpus (planned);
  system->created = vr_cli_time_to_usec (
      vr_planned_system_get_created (planned));
  system->last_job_code = vr_planned_system_get_last_job_code (planned);
  system->last_job_message
      = g_strdup (vr_planned_system_get_last_job_message (planned));
  return system;
}

static VrCliJob *
job_from_backend (const char *id, VrJob *backend)
{
  VrCliJob *job = g_new0 (VrCliJob, 1);

  job->id = g_strdup (id);
  job->type = g_strdup (vr_job_get_job_type (backend));
  job->target = g_strdup (vr_job_get_target (backend));
  job->state = vr_job_get_state (backend);
  job->phase = vr_job_dup_phase (backend);
  job->percent = vr_job_get_percent (backend);
  vr_job_get_bytes (backend, &job->bytes_done, &job->bytes_total);
  job->rate = vr_job_get_rate (backend);
  job->eta = vr_job_get_eta (backend);
  job->error_code = vr_job_get_error_code (backend);
  job->error_description = vr_job_dup_error_description (backend);
  job->start_time = vr_job_get_start_time (backend);
  job->elapsed = vr_job_get_elapsed (backend);
  return job;
}

static void
direct_free (VrCliTransport *transport)
{
  Direct *self = (Direct *) transport;

  g_free (self->uri);
  g_free (self->export_dir);
  g_free (self->export_remote_uri);
  g_clear_object (&self->store);
  g_hash_table_unref (self->jobs);
  g_free (self);
}

static GPtrArray *
direct_list (VrCliTransport *transport, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (GPtrArray) planned = vr_store_list (self->store, error);
  GPtrArray *systems;

  if (planned == NULL)
    return NULL;
  systems = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_cli_system_free);
  for (guint i = 0; i < planned->len; i++)
    g_ptr_array_add (systems, system_from_backend (planned->pdata[i]));
  return systems;
}

static VrCliSystem *
direct_lookup (VrCliTransport *transport, const char *key, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store, key,
                                                         error);

  return planned ? system_from_backend (planned) : NULL;
}

static char *
direct_get_xml (VrCliTransport *transport, const char *key, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store, key,
                                                         error);

  return planned ? vr_planned_system_dup_domain_xml (planned) : NULL;
}

static char *
add_job (Direct *self, VrJob *job)
{
  char *id = g_strdup_printf ("%u", vr_job_get_id (job));

  g_hash_table_insert (self->jobs, g_strdup (id), job);
  return id;
}

/* The manifest is checked as a job of its own: hashing a large directory
 * takes a while, with a progress bar, and Ctrl-C stops it. */
static gboolean
verify_manifest (Direct *self, VrImportDir *dir, gboolean show_progress,
                 GError **error)
{
  g_autofree char *id = add_job (self, vr_verify_job_start (self->next_id++,
                                                            dir));
  gboolean interrupted = FALSE;
  g_autoptr (VrCliJob) job = vr_cli_run_job (&self->parent, id,
                                             show_progress,
                                             &interrupted);

  return vr_cli_job_succeeded (job, interrupted, error);
}

static VrCliSystem *
direct_import (VrCliTransport *transport, const VrCliImportRequest *request,
               GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (request->dir, error);
  g_autoptr (VrPlannedSystem) planned = NULL;
  VrImportFlags flags
      = (request->new_id ? VR_IMPORT_NEW_ID : 0)
        | (request->discard_saved_state ? VR_IMPORT_DISCARD_SAVED_STATE : 0);

  if (dir == NULL)
    return NULL;
  if (dir->has_manifest
      && !verify_manifest (self, dir, request->show_progress, error))
    return NULL;
  planned = vr_import_with_flags (self->store, dir, request->name, flags,
                                  error);
  return planned ? system_from_backend (planned) : NULL;
}

static VrCliSystem *
direct_destroy (VrCliTransport *transport, const char *key, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store, key,
                                                         error);

  if (planned == NULL || !vr_store_remove (self->store, planned, error))
    return NULL;
  return system_from_backend (planned);
}

/* The root of an embedded connection (qemu:///embed?root=DIR), or NULL. */
static char *
embed_root (const char *uri)
{
  g_autoptr (GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL)
                                : NULL;
  g_autoptr (GHashTable) params = NULL;
  const char *query = parsed ? g_uri_get_query (parsed) : NULL;

  if (query == NULL || g_strcmp0 (g_uri_get_path (parsed), "/embed") != 0)
    return NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  return params ? g_strdup (g_hash_table_lookup (params, "root")) : NULL;
}

/* An embedded root serves one process at a time (libvirt's driver.pid
 * lock): say who holds it, rather than libvirt's "Failed to acquire pid
 * file". */
static gboolean
check_embed_root_free (const char *uri, GError **error)
{
  g_autofree char *root = embed_root (uri);
  g_autofree char *pid_file = NULL;
  struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  int fd;

  if (root == NULL)
    return TRUE;
  pid_file = g_build_filename (root, "run", "qemu", "driver.pid", NULL);
  fd = open (pid_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return TRUE;
  if (fcntl (fd, F_GETLK, &lock) == 0 && lock.l_type != F_UNLCK)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "%s is in use by process %d (an embedded root serves one "
                 "process at a time: use the agent that holds it, or stop "
                 "it)", root, (int) lock.l_pid);
  close (fd);
  return error == NULL || *error == NULL;
}

static virConnectPtr
connect_uri (const char *uri, GError **error)
{
  if (!check_embed_root_free (uri, error))
    return NULL;
  return vr_libvirt_open (uri, error);
}

static virConnectPtr
connect (Direct *self, GError **error)
{
  return connect_uri (self->uri, error);
}

static VrHostCaps *
connect_host (Direct *self, GError **error)
{
  g_autoptr (virConnect) conn = connect (self, error);

  return conn ? vr_host_caps_new (conn) : NULL;
}

/* A name without '/' is a planned system's first; a path is a path. */
static GPtrArray *
validate_arg (Direct *self, VrHostCaps *caps, const char *arg,
              VrCliValidation *validation, GError **error)
{
  g_autoptr (VrPlannedSystem) planned = NULL;
  g_autoptr (VrImportDir) dir = NULL;

  if (strchr (arg, '/') == NULL
      && (planned = vr_store_lookup (self->store, arg, NULL)) != NULL)
    {
      validation->kind = g_strdup ("planned");
      validation->target = g_strdup (vr_planned_system_get_name (planned));
      return vr_validate_planned_with (caps, self->store, planned,
                                       &in_process, error);
    }
  validation->target = g_strdup (arg);
  if (g_file_test (arg, G_FILE_TEST_IS_DIR))
    {
      validation->kind = g_strdup ("directory");
      dir = vr_import_dir_open (arg, error);
      return dir ? vr_validate_import_dir_with (caps, self->store, dir,
                                                &in_process, error)
                 : NULL;
    }
  if (g_file_test (arg, G_FILE_TEST_EXISTS))
    {
      validation->kind = g_strdup ("file");
      return vr_validate_file_with (caps, self->store, arg, &in_process,
                                    error);
    }
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "'%s' is no planned system (in %s), directory or file", arg,
               vr_store_get_path (self->store));
  return NULL;
}

/* Whether the connection in use (-c, else $LIBVIRT_DEFAULT_URI, else
 * libvirt's local default) may be the one planned was realized on: not
 * when either is remote and their texts differ (a local default may
 * still resolve to the recorded local URI: that one is asked). */
static gboolean
uri_may_be_recorded (Direct *self, VrPlannedSystem *planned)
{
  const char *recorded = vr_planned_system_get_connection (planned);
  const char *in_use = self->uri ? self->uri
                                 : g_getenv ("LIBVIRT_DEFAULT_URI");

  if (recorded == NULL || g_strcmp0 (in_use, recorded) == 0)
    return TRUE;
  return !vr_uri_is_remote (recorded) && !vr_uri_is_remote (in_use);
}

static gboolean
direct_check_domain (VrCliTransport *transport, VrCliSystem *system,
                     GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store,
                                                         system->uuid, error);
  g_autoptr (virConnect) conn = NULL;
  VrDomainPresence presence;

  if (planned == NULL)
    return FALSE;
  /* Only the recorded connection is asked, and only when it is the one
   * in use: a remote host's is not this command's default, nor is another
   * host's, and neither is connected to just to say so (not asked). */
  if (!uri_may_be_recorded (self, planned))
    {
      system->domain_presence = VR_CLI_DOMAIN_UNKNOWN;
      return TRUE;
    }
  if ((conn = connect (self, error)) == NULL
      || !vr_realized_domain_presence (conn, planned, &presence, error))
    return FALSE;
  system->domain_presence
      = presence == VR_DOMAIN_PRESENCE_DEFINED     ? VR_CLI_DOMAIN_DEFINED
        : presence == VR_DOMAIN_PRESENCE_UNDEFINED ? VR_CLI_DOMAIN_UNDEFINED
                                                   : VR_CLI_DOMAIN_UNKNOWN;
  return TRUE;
}

static VrCliValidation *
direct_validate (VrCliTransport *transport, const char *arg, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrCliValidation) validation = g_new0 (VrCliValidation, 1);
  g_autoptr (VrHostCaps) caps = NULL;

  /* The schema loads while libvirt connects. */
  vr_validate_preload ();
  caps = connect_host (self, error);
  if (caps == NULL)
    return NULL;
  validation->findings = validate_arg (self, caps, arg, validation, error);
  return validation->findings ? g_steal_pointer (&validation) : NULL;
}

static VrPlannedSystem *
replace_from_file (Direct *self, const char *key, const char *path,
                   GError **error)
{
  int fd = open (path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  g_autofree char *xml = NULL;
  gsize len = 0;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", path);
      return NULL;
    }
  xml = vr_read_fd_limited (fd, path, VR_XML_MAX_SIZE, &len, error);
  close (fd);
  if (xml == NULL)
    return NULL;
  return vr_edit_replace (self->store, key, xml, len, error);
}

static VrCliSystem *
direct_edit (VrCliTransport *transport, const char *key,
             const VrCliEditRequest *request, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = NULL;

  if (request->xml_file != NULL)
    planned = replace_from_file (self, key, request->xml_file, error);
  else
    planned = vr_edit_patch (self->store, key, request->sets,
                             request->removes, error);
  return planned ? system_from_backend (planned) : NULL;
}

static VrCliPlacement *
placement_from_backend (const VrPlacementHost *host, gboolean chosen)
{
  VrCliPlacement *placement = g_new0 (VrCliPlacement, 1);

  placement->uri = g_strdup (host->uri);
  placement->reachable = host->reachable;
  placement->fits = host->fits;
  placement->chosen = chosen;
  placement->blocking = g_strdup (host->blocking);
  placement->free_memory = host->free_memory;
  placement->cpus = host->cpus;
  placement->line = vr_cli_placement_describe (placement);
  return placement;
}

static GPtrArray *
direct_place (VrCliTransport *transport, const char *key,
              const char *const *hosts, gboolean copy_disks, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store, key,
                                                         error);
  g_autoptr (GPtrArray) found = NULL;
  GPtrArray *placements;
  int best;

  if (planned == NULL)
    return NULL;
  vr_validate_preload ();
  found = vr_placement_check (self->store, planned, hosts, copy_disks,
                              in_process.host_access_allowed);
  best = vr_placement_choose (found);
  placements = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_cli_placement_free);
  for (guint i = 0; i < found->len; i++)
    g_ptr_array_add (placements,
                     placement_from_backend (found->pdata[i], (int) i == best));
  return placements;
}

static char *
direct_realize (VrCliTransport *transport, const char *key,
                const VrCliRealizeRequest *request, GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (VrPlannedSystem) planned = vr_store_lookup (self->store, key,
                                                         error);
  g_autoptr (virConnect) conn = NULL;
  g_autoptr (VrHostCaps) caps = NULL;
  VrRealizeOptions options = {
    .pool = request->pool,
    .pool_dir = request->pool_dir,
    .start = request->start,
    .copy_disks = request->copy_disks,
    /* The caller's own rights (the agent asks polkit instead). */
    .host_access_allowed = TRUE,
  };

  if (planned == NULL)
    return NULL;
  if (request->handoff != NULL
      && !vr_handoff_from_string (request->handoff, &options.handoff))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "--handoff takes auto, link or managedsave, not '%s'",
                   request->handoff);
      return NULL;
    }
  conn = connect_uri (request->uri ? request->uri : self->uri, error);
  if (conn == NULL)
    return NULL;
  if (request->pool_dir != NULL && vr_connection_names_host (conn))
    {
      g_autofree char *uri = virConnectGetURI (conn);

      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "--pool-dir %s names a folder on this host; a realize "
                   "onto another host (%s) uploads into a libvirt pool "
                   "there: name it with --pool NAME (without either, "
                   "'default')", request->pool_dir, uri ? uri : "?");
      return NULL;
    }
  caps = vr_host_caps_new (conn);
  return add_job (self, vr_realize_job_start (self->next_id++, self->store,
                                              caps, conn, planned,
                                              &options));
}

static char *
direct_export (VrCliTransport *transport, const VrCliExportRequest *request,
               GError **error)
{
  Direct *self = (Direct *) transport;
  g_autoptr (virConnect) conn = connect (self, error);
  VrExportOptions options = { .save = request->save,
                              .with_disks = request->with_disks };

  if (conn == NULL)
    return NULL;
  g_free (self->export_dir);
  self->export_dir = g_strdup (request->dir);
  self->export_with_disks = request->with_disks;
  g_clear_pointer (&self->export_remote_uri, g_free);
  if (vr_connection_is_remote (conn))
    self->export_remote_uri = virConnectGetURI (conn);
  return add_job (self, vr_export_job_start (self->next_id++, conn,
                                             request->domain, request->dir,
                                             &options));
}

/* Without --with-disks the disks stay where they are: say which, and the
 * flag that carries them (read from the domain.xml just written). */
static char *
disks_left_note (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "domain.xml", NULL);
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GPtrArray) disks = NULL;
  g_autofree char *list = NULL;

  if (fd < 0)
    return NULL;
  doc = vr_xml_parse_fd (fd, path, VR_XML_MAX_SIZE, "domain", NULL);
  close (fd);
  if (doc == NULL)
    return NULL;
  disks = vr_xml_xpath_strings (
      doc, "/domain/devices/disk[not(@device) or @device='disk']"
           "/source/@file");
  if (disks->len == 0)
    return NULL;
  g_ptr_array_add (disks, NULL);
  list = g_strjoinv (", ", (char **) disks->pdata);
  return g_strdup_printf ("%u disk image%s not carried (%s): domain.xml "
                          "keeps the paths on this host, which the other "
                          "host must reach; export --with-disks copies "
                          "disks into DIR/disks", disks->len - 1,
                          disks->len - 1 > 1 ? "s" : "", list);
}

static VrCliExport *
direct_export_result (VrCliTransport *transport, const char *id)
{
  Direct *self = (Direct *) transport;
  VrJob *job = g_hash_table_lookup (self->jobs, id);
  const VrExportResult *result = job ? vr_export_job_get_result (job) : NULL;
  VrCliExport *out;

  if (result == NULL)
    return NULL;
  out = g_new0 (VrCliExport, 1);
  out->domain = g_strdup (result->name);
  out->uuid = g_strdup (result->uuid);
  out->directory = g_strdup (self->export_dir);
  out->remote_uri = g_strdup (self->export_remote_uri);
  out->save_file = g_strdup (result->save_file);
  out->saved = result->saved;
  out->disks = result->disks;
  out->nvram = result->nvram;
  out->tpm = result->tpm;
  out->snapshots = result->snapshots;
  out->bytes = result->bytes;
  out->notes = g_new0 (char *, result->notes->len + 2);
  for (guint i = 0; i < result->notes->len; i++)
    out->notes[i] = g_strdup (result->notes->pdata[i]);
  if (!self->export_with_disks)
    out->notes[result->notes->len] = disks_left_note (self->export_dir);
  return out;
}

static VrCliJob *
direct_job (VrCliTransport *transport, const char *id, GError **error)
{
  Direct *self = (Direct *) transport;
  VrJob *job = g_hash_table_lookup (self->jobs, id);

  if (job != NULL)
    return job_from_backend (id, job);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER, "no job %s", id);
  return NULL;
}

typedef struct {
  GMainLoop *loop;
  VrJob *job;
  char *id;
  VrCliJobChanged changed;
  gpointer user_data;
} Wait;

static void
wait_free (gpointer data)
{
  Wait *wait = data;

  g_main_loop_unref (wait->loop);
  g_object_unref (wait->job);
  g_free (wait->id);
  g_free (wait);
}

/* libvirt's event thread iterates the default main context too, so the
 * job's "completed" may be dispatched there, between the look at
 * vr_job_is_finished() and g_main_loop_run(): that quit is lost and the
 * CLI would wait for ever (seen by the kill-anywhere trials). A look every
 * tenth of a second ends the wait all the same. The tick may run on the
 * other thread until its source is gone: it holds its own references. */
static gboolean
on_tick (gpointer user_data)
{
  Wait *wait = user_data;

  if (vr_job_is_finished (wait->job))
    g_main_loop_quit (wait->loop);
  return G_SOURCE_CONTINUE;
}

static void
on_completed (VrJob *job, gboolean success, const char *message,
              gpointer user_data)
{
  g_main_loop_quit (user_data);
}

static void
on_changed (VrJob *backend, gpointer user_data)
{
  Wait *wait = user_data;
  g_autoptr (VrCliJob) job = job_from_backend (wait->id, backend);

  wait->changed (job, wait->user_data);
}

static void
on_interrupted (GCancellable *interrupted, gpointer user_data)
{
  vr_job_cancel (user_data);
}

static void
direct_wait (VrCliTransport *transport, const char *id,
             GCancellable *interrupted, VrCliJobChanged changed,
             gpointer user_data)
{
  Direct *self = (Direct *) transport;
  VrJob *job = g_hash_table_lookup (self->jobs, id);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Wait *wait;
  gulong completed;
  gulong progress;
  gulong cancelled;
  guint tick;

  if (job == NULL)
    return;
  wait = g_new0 (Wait, 1);
  wait->loop = g_main_loop_ref (loop);
  wait->job = g_object_ref (job);
  wait->id = g_strdup (id);
  wait->changed = changed;
  wait->user_data = user_data;
  completed = g_signal_connect_data (
      job, "completed", G_CALLBACK (on_completed), g_main_loop_ref (loop),
      (GClosureNotify) (void (*) (void)) g_main_loop_unref, 0);
  progress = g_signal_connect (job, "changed", G_CALLBACK (on_changed), wait);
  cancelled = g_cancellable_connect (interrupted, G_CALLBACK (on_interrupted),
                                     job, NULL);
  tick = g_timeout_add_full (G_PRIORITY_DEFAULT, 100, on_tick, wait,
                             wait_free);
  if (!vr_job_is_finished (job))
    g_main_loop_run (loop);
  g_cancellable_disconnect (interrupted, cancelled);
  g_signal_handler_disconnect (job, progress);
  g_signal_handler_disconnect (job, completed);
  g_source_remove (tick);
}

static const VrCliTransportClass direct_class = {
  .name = "direct",
  .free = direct_free,
  .list = direct_list,
  .lookup = direct_lookup,
  .get_xml = direct_get_xml,
  .check_domain = direct_check_domain,
  .import = direct_import,
  .destroy = direct_destroy,
  .validate = direct_validate,
  .edit = direct_edit,
  .place = direct_place,
  .realize = direct_realize,
  .export_domain = direct_export,
  .export_result = direct_export_result,
  .job = direct_job,
  .wait = direct_wait,
  /* No jobs listing or cancel by id: in-process jobs end with their
   * command (Ctrl-C cancels them). */
};

VrCliTransport *
vr_cli_direct_transport_new (const VrCli *cli)
{
  Direct *self = g_new0 (Direct, 1);
  g_autofree char *state_dir = cli->state_dir ? g_strdup (cli->state_dir)
                                              : vr_store_default_dir ();

  self->parent.klass = &direct_class;
  self->uri = g_strdup (cli->uri);
  self->store = vr_store_new (state_dir);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                      g_object_unref);
  self->next_id = 1;
  return &self->parent;
}
