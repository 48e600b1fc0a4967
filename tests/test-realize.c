/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The realize pipeline on real QEMU: a guest saved under the test bed's
 * root (A) is realized into this program's own embedded root (B); starting
 * it there must restore it, not boot it. Failures and cancels must leave
 * nothing behind. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "errors.h"
#include "import.h"
#include "libvirt-util.h"
#include "manifest.h"
#include "realize.h"
#include "realize-journal.h"
#include "realize-used.h"
#include "safe-xml.h"
#include "test-util.h"
#include "testbed.h"
#include "validate.h"

#define BASIC_UUID "5a1ad0c0-7e57-4b3d-9c1e-000000000001"

static char *root;
static virConnectPtr conn;
static VrHostCaps *caps;

typedef struct {
  char *state;
  VrStore *store;
  VrPlannedSystem *system;
  char *pool_dir;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;

  f->state = test_mkdtemp ();
  f->store = vr_store_new (f->state);
  f->system = vr_import_path (f->store, basic, NULL, &error);
  g_assert_no_error (error);
  f->pool_dir = test_mkdtemp ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_remove_domain (conn, BASIC_UUID);
  g_object_unref (f->system);
  g_object_unref (f->store);
  test_rmtree (f->state);
  test_rmtree (f->pool_dir);
  g_free (f->state);
  g_free (f->pool_dir);
}

static VrPlannedSystem *
reload (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system = vr_store_lookup (f->store, BASIC_UUID, &error);

  g_assert_no_error (error);
  return system;
}

typedef struct {
  GMutex lock;
  GCond cond;
  int event;
  int detail;
} Lifecycle;

static int
on_lifecycle (virConnectPtr c, virDomainPtr dom, int event, int detail,
              void *opaque)
{
  Lifecycle *seen = opaque;

  g_mutex_lock (&seen->lock);
  if (event == VIR_DOMAIN_EVENT_STARTED)
    {
      seen->event = event;
      seen->detail = detail;
      g_cond_signal (&seen->cond);
    }
  g_mutex_unlock (&seen->lock);
  return 0;
}

static char *
qemu_log (const char *name)
{
  g_autofree char *file = g_strdup_printf ("%s.log", name);
  g_autofree char *path = g_build_filename (root, "log", "qemu", file, NULL);
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);
  return text ? text : g_strdup ("");
}

/* Starts the realized domain and checks that QEMU resumed the saved guest:
 * a STARTED/RESTORED lifecycle event, -incoming on its command line, and a
 * running (not paused) guest. */
static void
assert_start_restores (void)
{
  g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  Lifecycle seen = { 0 };
  g_autofree char *log = NULL;
  int callback;
  int state = 0;
  int reason = 0;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_nonnull (dom);
  g_mutex_init (&seen.lock);
  g_cond_init (&seen.cond);
  callback = virConnectDomainEventRegisterAny (
      conn, dom, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
      VIR_DOMAIN_EVENT_CALLBACK (on_lifecycle), &seen, NULL);
  g_assert_cmpint (callback, >=, 0);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_mutex_lock (&seen.lock);
  while (seen.event == 0 && g_cond_wait_until (&seen.cond, &seen.lock, deadline))
    ;
  g_mutex_unlock (&seen.lock);
  virConnectDomainEventDeregisterAny (conn, callback);
  g_assert_cmpint (seen.event, ==, VIR_DOMAIN_EVENT_STARTED);
  g_assert_cmpint (seen.detail, ==, VIR_DOMAIN_EVENT_STARTED_RESTORED);
  log = qemu_log ("vr-guest");
  g_assert_nonnull (strstr (log, "-incoming"));
  g_assert_cmpint (virDomainGetState (dom, &state, &reason, 0), ==, 0);
  g_assert_cmpint (state, ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_RESTORED);
  g_mutex_clear (&seen.lock);
  g_cond_clear (&seen.cond);
}

static void
realize_ok (Fixture *f, VrHandoff handoff)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .handoff = handoff };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest.save", NULL);

  g_assert_true (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  back = reload (f);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_REALIZED);
  g_assert_cmpstr (vr_planned_system_get_domain (back), ==, "vr-guest");
  g_assert_cmpint (vr_planned_system_get_last_job_code (back), ==, 0);
  /* The state is libvirt's now; the pool keeps no copy. */
  g_assert_true (g_file_test (managed, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
}

static void
test_link_resumes (Fixture *f, gconstpointer data)
{
  realize_ok (f, VR_HANDOFF_LINK);
  assert_start_restores ();
}

static void
test_managed_save_resumes (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = NULL;

  realize_ok (f, VR_HANDOFF_MANAGED_SAVE);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  /* libvirt itself owns the state: virsh dominfo says "Managed save: yes". */
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
  assert_start_restores ();
}

static void
test_already_realized (Fixture *f, gconstpointer data)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;

  realize_ok (f, VR_HANDOFF_LINK);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_STATE, "realized already", NULL);
}

/* Nothing the failed or cancelled job made may be left. */
static void
assert_nothing_left (Fixture *f, VrPlannedState state, int code)
{
  g_autoptr (VrPlannedSystem) back = reload (f);
  g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest.save", NULL);
  g_autofree char *journal = vr_store_system_file (f->store, back,
                                                   VR_REALIZE_JOURNAL);

  g_assert_null (dom);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  g_assert_false (g_file_test (managed, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_assert_cmpint (vr_planned_system_get_state (back), ==, state);
  g_assert_cmpint (vr_planned_system_get_last_job_code (back), ==, code);
}

typedef struct {
  GCancellable *cancellable;
  gboolean cancelled;
} CancelAtCopy;

static void
cancel_in_copy (const VrProgressState *state, gpointer user_data)
{
  CancelAtCopy *c = user_data;

  if (g_strcmp0 (state->phase, "copy") == 0 && state->bytes_done > 0
      && !c->cancelled)
    {
      c->cancelled = TRUE;
      g_cancellable_cancel (c->cancellable);
    }
}

static void
use_import (Fixture *f, const char *dir)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (vr_store_remove (f->store, f->system, &error));
  g_object_unref (f->system);
  f->system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
}

static void
test_cancel_mid_copy (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_large_import (256);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  CancelAtCopy c = { cancellable, FALSE };
  g_autoptr (VrProgress) progress = vr_progress_new (cancel_in_copy, &c);
  VrRealizeOptions options = { .pool_dir = f->pool_dir,
                               .copy_flags = VR_COPY_NO_REFLINK };
  g_autoptr (GError) error = NULL;

  use_import (f, dir);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              progress, cancellable, &error));
  g_assert_true (c.cancelled);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, VR_ERROR_FAILED);
  test_rmtree (dir);
}

static void
test_out_of_space (Fixture *f, gconstpointer data)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a small tmpfs needs root");
      return;
    }
  g_assert_cmpint (mount ("tmpfs", f->pool_dir, "tmpfs", 0, "size=256k"),
                   ==, 0);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              NULL, NULL, &error));
  test_assert_error (error, VR_ERROR_FAILED, "No space left on device",
                     f->pool_dir, NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_FAILED, VR_ERROR_FAILED);
  g_assert_cmpint (umount (f->pool_dir), ==, 0);
}

/* A pool on a read-only filesystem: the error keeps its cause's words
 * (EROFS) and maps to the seed's AccessDenied, and nothing is left. */
static void
test_read_only_pool (Fixture *f, gconstpointer data)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;

  if (geteuid () != 0)
    {
      g_test_skip ("mounting a read-only tmpfs needs root");
      return;
    }
  g_assert_cmpint (mount ("tmpfs", f->pool_dir, "tmpfs", MS_RDONLY,
                          "size=256k"),
                   ==, 0);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              NULL, NULL, &error));
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_suffix (error->message, g_strerror (EROFS)));
  g_assert_nonnull (strstr (error->message, f->pool_dir));
  g_assert_cmpint (vr_error_get_code (error), ==, VR_ERROR_ACCESS_DENIED);
  assert_nothing_left (f, VR_PLANNED_STATE_FAILED, VR_ERROR_ACCESS_DENIED);
  g_assert_cmpint (umount (f->pool_dir), ==, 0);
}

static void
define_clash (const VrProgressState *state, gpointer user_data)
{
  gboolean *done = user_data;
  g_autofree char *xml = NULL;
  g_autoptr (virDomain) dom = NULL;

  if (g_strcmp0 (state->phase, "define") != 0 || *done)
    return;
  /* Same name, another UUID: libvirt must refuse the realize's define. */
  xml = test_domain_xml ("vr-guest", "5a1ad0c0-7e57-4b3d-9c1e-0000000000cc");
  dom = virDomainDefineXML (conn, xml);
  g_assert_nonnull (dom);
  *done = TRUE;
}

static void
test_define_refused (Fixture *f, gconstpointer data)
{
  gboolean clashed = FALSE;
  g_autoptr (VrProgress) progress = vr_progress_new (define_clash, &clashed);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;

  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              progress, NULL, &error));
  g_assert_true (clashed);
  test_assert_error (error, VR_ERROR_FAILED, "libvirt refused to define",
                     "already exists", NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_FAILED, VR_ERROR_FAILED);
  test_remove_domain (conn, "5a1ad0c0-7e57-4b3d-9c1e-0000000000cc");
}

static void
test_does_not_fit (Fixture *f, gconstpointer data)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  g_autofree char *xml = vr_planned_system_dup_domain_xml (f->system);
  g_autoptr (GString) edited = g_string_new (xml);

  g_string_replace (edited, "<vcpu placement=\"static\">1</vcpu>",
                    "<vcpu placement=\"static\">1000</vcpu>", 1);
  g_assert_true (vr_planned_system_set_domain_xml (f->system, edited->str,
                                                   edited->len, &error));
  g_assert_true (vr_store_save (f->store, f->system, &error));
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              NULL, NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "does not fit this host",
                     "its validation lists every finding", NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, 0);
}

/* Realize reads again the directory the import read, never another one
 * put at its path since, even with the very same files. */
static void
test_import_dir_replaced (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (basic, &error);
  g_autofree char *moved = g_strconcat (dir, ".moved", NULL);
  g_autofree char *twin = NULL;

  g_assert_no_error (error);
  g_assert_true (vr_store_remove (f->store, f->system, &error));
  g_object_unref (f->system);
  f->system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rename (dir, moved), ==, 0);
  twin = vr_testbed_copy_import_dir (moved, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rename (twin, dir), ==, 0);

  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              NULL, NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_STATE, dir,
                     "not the directory that was imported", NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, 0);
  test_rmtree (dir);
  test_rmtree (moved);
}

typedef struct {
  Fixture *f;
  GMutex lock;
  GCond cond;
  gboolean in_copy;
  gboolean release;
} Holder;

static void
hold_in_copy (const VrProgressState *state, gpointer user_data)
{
  Holder *h = user_data;

  if (g_strcmp0 (state->phase, "copy") != 0 || h->in_copy)
    return;
  g_mutex_lock (&h->lock);
  h->in_copy = TRUE;
  g_cond_signal (&h->cond);
  while (!h->release)
    g_cond_wait (&h->cond, &h->lock);
  g_mutex_unlock (&h->lock);
}

static gpointer
first_realize (gpointer data)
{
  Holder *h = data;
  g_autoptr (VrProgress) progress = vr_progress_new (hold_in_copy, h);
  VrRealizeOptions options = { .pool_dir = h->f->pool_dir };
  g_autoptr (GError) error = NULL;
  gboolean ok = vr_realize (h->f->store, caps, conn, h->f->system, &options,
                            progress, NULL, &error);

  g_assert_no_error (error);
  return GINT_TO_POINTER (ok);
}

static void
test_twice_at_once (Fixture *f, gconstpointer data)
{
  Holder h = { .f = f };
  g_autoptr (VrPlannedSystem) other = reload (f);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  GThread *thread;

  g_mutex_init (&h.lock);
  g_cond_init (&h.cond);
  thread = g_thread_new ("first", first_realize, &h);
  g_mutex_lock (&h.lock);
  while (!h.in_copy)
    g_cond_wait (&h.cond, &h.lock);
  g_mutex_unlock (&h.lock);
  g_assert_false (vr_realize (f->store, caps, conn, other, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_IN_USE, "busy", NULL);
  g_mutex_lock (&h.lock);
  h.release = TRUE;
  g_cond_broadcast (&h.cond);
  g_mutex_unlock (&h.lock);
  g_assert_true (GPOINTER_TO_INT (g_thread_join (thread)));
  g_mutex_clear (&h.lock);
  g_cond_clear (&h.cond);
}

/* The test bed's disk guest: its qcow2 is inside the import directory. */
typedef struct {
  GString *phases;  /* each phase once, in order: "validate copy ..." */
  double fraction;  /* the last, never going back */
  guint64 copy_done;
  guint64 copy_total;
} Phases;

static void
record_phases (const VrProgressState *state, gpointer user_data)
{
  Phases *p = user_data;
  const char *last = strrchr (p->phases->str, ' ');

  g_assert_cmpfloat (state->fraction, >=, p->fraction);
  p->fraction = state->fraction;
  if (state->phase != NULL
      && g_strcmp0 (last ? last + 1 : p->phases->str, state->phase) != 0)
    g_string_append_printf (p->phases, "%s%s", p->phases->len ? " " : "",
                            state->phase);
  if (g_strcmp0 (state->phase, "copy") != 0)
    return;
  /* The copy step's bytes run across all its files (a child step each). */
  g_assert_cmpuint (state->bytes_done, >=, p->copy_done);
  p->copy_done = state->bytes_done;
  p->copy_total = state->bytes_total;
}

static guint64
file_size (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return st.st_size;
}

static void
assert_copy_described (const char *xml)
{
  g_assert_nonnull (xml);
  g_assert_nonnull (strstr (xml, "<driver name='qemu' type='qcow2'"));
  g_assert_nonnull (strstr (xml, "<backingStore/>"));
}

static void
test_copy_disks (Fixture *f, gconstpointer data)
{
  Phases seen = { g_string_new (NULL), 0, 0, 0 };
  g_autoptr (VrProgress) progress = vr_progress_new (record_phases, &seen);
  g_autofree char *dir = vr_testbed_require ("disk");
  g_autofree char *src = g_build_filename (dir, "disks", "disk0.qcow2", NULL);
  g_autofree char *copy = g_build_filename (f->pool_dir,
                                            "vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *want = test_sha256_file (src);
  g_autofree char *got = NULL;
  g_autofree char *xml = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (f->store, dir, NULL,
                                                       &error);
  g_autoptr (virDomain) dom = NULL;
  int state = 0;
  int reason = 0;

  g_assert_no_error (error);
  /* QEMU (another user) opens the copy where it lies. */
  g_assert_cmpint (chmod (f->pool_dir, 0755), ==, 0);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1507",
                     "inside the import directory", NULL);
  g_clear_error (&error);
  options.copy_disks = TRUE;
  g_assert_true (vr_realize (f->store, caps, conn, system, &options,
                             progress, NULL, &error));
  g_assert_no_error (error);
  /* No "start" phase without --start; one bar over both files. */
  g_assert_cmpstr (seen.phases->str, ==,
                   "validate copy update define handoff");
  g_assert_cmpfloat (seen.fraction, ==, 1.0);
  g_assert_cmpuint (seen.copy_total, ==,
                    file_size (dir, vr_planned_system_get_save_file (system))
                        + file_size (dir, "disks/disk0.qcow2"));
  g_assert_cmpuint (seen.copy_done, ==, seen.copy_total);
  g_string_free (seen.phases, TRUE);
  got = test_sha256_file (copy);
  g_assert_cmpstr (got, ==, want);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (xml, copy));
  /* The copy's format and (empty) chain are the XML's: libvirt keeps
   * them in the persistent XML and the image's, and never probes the
   * copy's header (tenth review, F1). */
  assert_copy_described (xml);
  g_free (xml);
  xml = virDomainManagedSaveGetXMLDesc (dom, 0);
  assert_copy_described (xml);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  g_assert_cmpint (virDomainGetState (dom, &state, &reason, 0), ==, 0);
  g_assert_cmpint (state, ==, VIR_DOMAIN_RUNNING);
  g_assert_cmpint (reason, ==, VIR_DOMAIN_RUNNING_RESTORED);
  g_free (xml);
  /* The running guest uses the copy, as the image's XML now says. */
  xml = virDomainGetXMLDesc (dom, 0);
  g_assert_nonnull (strstr (xml, copy));
  virDomainDestroy (dom);
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
}

/* A disk that carries its domain's name already (an export of a domain
 * realized before, imported again) keeps that one prefix: the copy is
 * NAME-disk0.qcow2 again, not NAME-NAME-disk0.qcow2, round trip after
 * round trip. */
static void
test_copy_disks_prefix_once (Fixture *f, gconstpointer data)
{
  g_autofree char *bed = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (bed, &error);
  g_autofree char *from = g_build_filename (dir, "disks", "disk0.qcow2",
                                            NULL);
  g_autofree char *to = g_build_filename (dir, "disks",
                                          "vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *xml_path = g_build_filename (dir, "domain.xml", NULL);
  g_autofree char *once = g_build_filename (f->pool_dir,
                                            "vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *twice = g_build_filename (
      f->pool_dir, "vr-guest-disk-vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *xml = NULL;
  g_autoptr (GString) edited = NULL;
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (virDomain) dom = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };

  g_assert_no_error (error);
  g_assert_cmpint (rename (from, to), ==, 0);
  g_assert_true (g_file_get_contents (xml_path, &xml, NULL, NULL));
  edited = g_string_new (xml);
  g_assert_cmpuint (g_string_replace (edited, "\"disks/disk0.qcow2\"",
                                      "\"disks/vr-guest-disk-disk0.qcow2\"",
                                      1), ==, 1);
  g_assert_true (g_file_set_contents (xml_path, edited->str, -1, NULL));
  system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (chmod (f->pool_dir, 0755), ==, 0);
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  g_free (xml);
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (xml, once));
  g_assert_true (g_file_test (once, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (twice, G_FILE_TEST_EXISTS));
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
  test_rmtree (dir);
}

/* Replaces dir's carried disk by a qcow2 whose header names victim as
 * its external data file, then gives victim contents of its own. */
static void
carry_data_file_disk (const char *dir, const char *victim)
{
  g_autofree char *image = g_build_filename (dir, "disks", "disk0.qcow2",
                                             NULL);
  g_autofree char *data_opt = g_strdup_printf ("data_file=%s,data_file_raw=on",
                                               victim);
  g_autofree char *folder = g_path_get_dirname (victim);
  const char *make[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-o",
                         data_opt, image, "1M", NULL };
  g_auto (TestRun) run = { 0 };

  g_assert_cmpint (unlink (image), ==, 0);
  test_run (&run, make, NULL);
  g_assert_cmpint (run.status, ==, 0);
  /* qemu-img made the data file; it stands for another guest's. */
  test_write_file (folder, "victim", "another guest's NVRAM", -1);
}

/* A carried qcow2 whose header names an external data file would have
 * QEMU open that host file read-write as the disk (any guest's, any
 * file), with --copy-disks too: the copy keeps the header. Refused
 * before anything is made, and the file is never touched. */
static void
test_data_file_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (disk, &error);
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *victim = g_build_filename (tmp, "victim", NULL);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (virDomain) dom = NULL;

  g_assert_no_error (error);
  carry_data_file_disk (dir, victim);
  want = test_sha256_file (victim);
  system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1804",
                     "external data file", NULL);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  got = test_sha256_file (victim);
  g_assert_cmpstr (got, ==, want);
  test_rmtree (tmp);
  test_rmtree (dir);
}

/* Sixth review, F4: with counted_sizes (the agent's per-user limits),
 * a disk whose size is not the counted one, or that was not counted,
 * is refused with nothing made; at the counted size it is copied. */
static void
test_counted_sizes (Fixture *f, gconstpointer data)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (disk, &error);
  g_autofree char *image = NULL;
  g_autoptr (GHashTable) sizes
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE,
                               .counted_sizes = sizes };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (virDomain) dom = NULL;
  struct stat st;

  g_assert_no_error (error);
  image = g_build_filename (dir, "disks", "disk0.qcow2", NULL);
  g_assert_cmpint (stat (image, &st), ==, 0);
  system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "not counted", NULL);
  g_clear_error (&error);
  g_hash_table_insert (sizes, g_strdup ("disks/disk0.qcow2"),
                       g_memdup2 (&(guint64){ st.st_size - 1 },
                                  sizeof (guint64)));
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "counted as", NULL);
  g_clear_error (&error);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  g_hash_table_insert (sizes, g_strdup ("disks/disk0.qcow2"),
                       g_memdup2 (&(guint64){ st.st_size },
                                  sizeof (guint64)));
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  test_remove_domain (conn, "5a1ad0c0-7e57-4b3d-9c1e-000000000002");
  test_rmtree (dir);
}

static gboolean
has_finding (GPtrArray *findings, const char *id, const char *text)
{
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (g_str_equal (finding->id, id) && strstr (finding->message, text))
        return TRUE;
    }
  return FALSE;
}

/* The import directory is judged as the realize reads it: the folder
 * opened once and checked against the import (dev/ino), never one put at
 * its path since. Here the imported folder is moved away and a hostile
 * one (a disk whose data file is any host file) takes its path: the
 * host-access check judges the folder it is handed, and the realize
 * refuses the swap before validating anything at that path. */
static void
test_validates_opened_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *disk = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (disk, &error);
  g_autofree char *moved = g_strconcat (dir, ".moved", NULL);
  g_autofree char *hostile = NULL;
  g_autofree char *tmp = test_mkdtemp ();
  g_autofree char *victim = g_build_filename (tmp, "victim", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  VrValidateOptions judge = { 0 };
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (VrImportDir) imported = NULL;
  g_autoptr (GPtrArray) by_path = NULL;
  g_autoptr (GPtrArray) handed = NULL;

  g_assert_no_error (error);
  system = vr_import_path (f->store, dir, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rename (dir, moved), ==, 0);
  hostile = vr_testbed_copy_import_dir (moved, &error);
  g_assert_no_error (error);
  carry_data_file_disk (hostile, victim);
  g_assert_cmpint (rename (hostile, dir), ==, 0);
  imported = vr_import_dir_open (moved, &error);
  g_assert_no_error (error);

  by_path = vr_validate_host_access (caps, system, &judge, NULL);
  g_assert_true (has_finding (by_path, VR_FINDING_HOST_PATH,
                              "external data file"));
  judge.import_dir = imported;
  handed = vr_validate_host_access (caps, system, &judge, NULL);
  g_assert_false (has_finding (handed, VR_FINDING_HOST_PATH,
                               "external data file"));

  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_STATE, dir,
                     "not the directory that was imported", NULL);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  test_rmtree (tmp);
  test_rmtree (dir);
  test_rmtree (moved);
}

/* A disk named by its absolute path inside the import directory would be
 * used in place: the caller could swap it for a link to any file (or
 * point its qcow2 header at one) after the check. Without the host-access
 * right it is refused with the fix (carry it, --copy-disks). */
static void
test_in_place_disk_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_require ("disk");
  g_autofree char *in_place = g_build_filename (dir, "disks", "disk0.qcow2",
                                                NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (f->store, dir, NULL,
                                                       &error);
  g_autofree char *xml = NULL;
  g_autofree char *quoted = NULL;
  g_autoptr (GString) edited = NULL;
  g_autoptr (virDomain) dom = NULL;

  g_assert_no_error (error);
  xml = vr_planned_system_dup_domain_xml (system);
  quoted = g_strdup_printf ("\"%s\"", in_place);
  edited = g_string_new (xml);
  g_assert_cmpuint (g_string_replace (edited, "\"disks/disk0.qcow2\"",
                                      quoted, 1), ==, 1);
  g_assert_true (vr_planned_system_set_domain_xml (system, edited->str,
                                                   edited->len, &error));
  g_assert_true (vr_store_save (f->store, system, &error));
  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1804",
                     "used in place from your folder", NULL);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  g_assert_null (dom);
  virResetLastError ();
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
}

/* Validation for a caller without the host-access right does not look up
 * their absolute paths on the agent's (root's) authority: a missing file
 * and a present one give the same finding (VR1804), never "No such
 * file", which would tell whether root's file exists. */
static void
test_no_lookup_for_caller (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (f->store, dir, NULL,
                                                       &error);
  g_autofree char *xml = NULL;
  g_autoptr (GString) edited = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  VrValidateOptions caller = { .caller_known = TRUE, .caller_uid = 65534 };

  g_assert_no_error (error);
  xml = vr_planned_system_dup_domain_xml (system);
  edited = g_string_new (xml);
  g_assert_cmpuint (g_string_replace (edited, "\"disks/disk0.qcow2\"",
                                      "\"/root/vr-no-such-file\"", 1),
                    ==, 1);
  g_assert_true (vr_planned_system_set_domain_xml (system, edited->str,
                                                   edited->len, &error));
  findings = vr_validate_planned_with (caps, f->store, system, &caller,
                                       &error);
  g_assert_no_error (error);
  g_assert_true (has_finding (findings, VR_FINDING_HOST_PATH,
                              "/root/vr-no-such-file"));
  g_assert_null (vr_findings_find (findings, VR_FINDING_DISK_SOURCE));
}

/* A copy with a new identity beside its original: it cannot keep the
 * saved state, so it is defined to boot, and both domains coexist. */
static void
test_new_id_copy (Fixture *f, gconstpointer data)
{
  g_autofree char *basic = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autoptr (VrImportDir) dir = vr_import_dir_open (basic, &error);
  g_autoptr (VrPlannedSystem) copy = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest-2.save", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };

  g_assert_no_error (error);
  copy = vr_import_with_flags (f->store, dir, NULL,
                               VR_IMPORT_NEW_ID
                               | VR_IMPORT_DISCARD_SAVED_STATE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (vr_planned_system_get_name (copy), ==, "vr-guest-2");
  g_assert_true (vr_realize (f->store, caps, conn, copy, &options, NULL, NULL,
                             &error));
  g_assert_no_error (error);
  realize_ok (f, VR_HANDOFF_LINK);
  dom = virDomainLookupByUUIDString (conn, vr_planned_system_get_uuid (copy));
  g_assert_nonnull (dom);
  g_assert_cmpstr (virDomainGetName (dom), ==, "vr-guest-2");
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 0);
  g_assert_false (g_file_test (managed, G_FILE_TEST_EXISTS));
  virDomainUndefine (dom);
}

/* A file made the way a job makes one, with its inode for the journal. */
static VrJournalFile *
journal_made_file (VrRealizeJournal *journal, VrJournalDir which,
                   const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  VrJournalFile *file;
  struct stat st;

  test_write_file (dir, name, "made by the job", -1);
  g_assert_cmpint (stat (path, &st), ==, 0);
  file = vr_realize_journal_add_file (journal, which, st.st_dev, st.st_ino);
  g_ptr_array_add (file->names, g_strdup (name));
  return file;
}

static void
journal_set_dir (VrJournalDirId *id, const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  *id = (VrJournalDirId) { g_strdup (path), st.st_dev, st.st_ino };
}

/* Defines the planned system's domain tagged as job's, as a realize
 * does (NULL job: untagged, someone else's). */
static virDomain *
define_tagged (Fixture *f, const char *job)
{
  g_autofree char *xml = vr_planned_system_dup_domain_xml (f->system);
  virDomain *dom = virDomainDefineXML (conn, xml);

  g_assert_nonnull (dom);
  if (job != NULL)
    {
      g_autofree char *tag = g_strdup_printf (
          "<realize planned=\"%s\" job=\"%s\" time=\"now\"/>", BASIC_UUID,
          job);

      g_assert_cmpint (virDomainSetMetadata (
                           dom, VIR_DOMAIN_METADATA_ELEMENT, tag,
                           VR_REALIZE_METADATA_PREFIX, VR_REALIZE_METADATA_NS,
                           VIR_DOMAIN_AFFECT_CONFIG), ==, 0);
    }
  return dom;
}

static void
crash_with (Fixture *f, VrRealizeJournal *journal)
{
  g_autoptr (GError) error = NULL;

  vr_planned_system_set_state (f->system, VR_PLANNED_STATE_REALIZING);
  g_assert_true (vr_store_save (f->store, f->system, &error));
  g_assert_true (vr_realize_journal_write (f->store, f->system, journal,
                                           &error));
  g_assert_no_error (error);
}

/* A process that died mid-realize left a copy, its temp file, a defined
 * domain and a journal; recovery removes them and puts the planned system
 * back. */
static void
test_recover (Fixture *f, gconstpointer data)
{
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (GError) error = NULL;

  virDomainFree (define_tagged (f, "job-1"));
  journal->job = g_strdup ("job-1");
  journal_set_dir (&journal->pool, f->pool_dir);
  journal_made_file (journal, VR_JOURNAL_DIR_POOL, f->pool_dir,
                     "vr-guest.save");
  journal_made_file (journal, VR_JOURNAL_DIR_POOL, f->pool_dir,
                     VR_COPY_TEMP_PREFIX "vr-guest-disk0.qcow2.abc123");
  journal->domain_uuid = g_strdup (BASIC_UUID);
  crash_with (f, journal);
  {
    g_autofree char *path = vr_store_system_file (f->store, f->system,
                                                  VR_REALIZE_JOURNAL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    test_assert_valid_rng ("realize-journal.rng", text);
  }
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, VR_ERROR_FAILED);
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (f->system),
                            "interrupted"));
}

/* What the journal names but the job did not make stays: a file of that
 * name that is another inode (a user's file, another job's copy), and a
 * domain of that UUID without this job's tag (or with another job's). */
static void
test_recover_keeps_foreign (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_tagged (f, NULL);
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *precious = g_build_filename (f->pool_dir, "vr-guest.save",
                                                NULL);
  g_autofree char *text = NULL;
  VrJournalFile *file;

  journal->job = g_strdup ("job-2");
  journal_set_dir (&journal->pool, f->pool_dir);
  file = journal_made_file (journal, VR_JOURNAL_DIR_POOL, f->pool_dir,
                            "vr-guest.save");
  /* The job's file went (kept by another name, so that its inode number
   * is not reused at once); a user's took its name. */
  {
    g_autofree char *keep = g_build_filename (f->pool_dir, "keep", NULL);

    g_assert_cmpint (rename (precious, keep), ==, 0);
  }
  test_write_file (f->pool_dir, "vr-guest.save", "the user's", -1);
  g_ptr_array_add (file->names, g_strdup ("vr-guest-2.save"));
  journal->domain_uuid = g_strdup (BASIC_UUID);
  journal->defined = TRUE;
  crash_with (f, journal);
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (precious, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "the user's");
  g_clear_pointer (&dom, virDomainFree);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainUndefine (dom), ==, 0);
  /* Another job's tag is not this job's either. */
  g_clear_pointer (&dom, virDomainFree);
  dom = define_tagged (f, "job-3");
  crash_with (f, journal);
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_clear_pointer (&dom, virDomainFree);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_nonnull (dom);
}

/* A pool file made and sealed as the job seals it once written. */
static VrJournalFile *
journal_sealed_file (VrRealizeJournal *journal, const char *dir,
                     const char *name)
{
  VrJournalFile *file = journal_made_file (journal, VR_JOURNAL_DIR_POOL, dir,
                                           name);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  g_assert_true (vr_realize_seal_file (fd, file));
  close (fd);
  return file;
}

/* Another write, as the guest's: same inode, new content and mtime. */
static void
write_as_guest (const char *dir, const char *name, struct stat *after)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  int fd = open (path, O_WRONLY | O_APPEND | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  /* mtime has a clock tick's resolution: a later second is surely newer */
  g_usleep (G_USEC_PER_SEC / 50);
  g_assert_cmpint (write (fd, " and the guest", 14), ==, 14);
  g_assert_cmpint (fstat (fd, after), ==, 0);
  close (fd);
}

/* Undo removes a file the job sealed only while it is unchanged: one the
 * guest (or a person) has written since stays, even at its inode. */
static void
test_recover_keeps_changed_file (Fixture *f, gconstpointer data)
{
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->pool_dir, "vr-guest-disk0.qcow2",
                                            NULL);
  struct stat after;
  struct stat now;
  g_autofree char *text = NULL;

  journal->job = g_strdup ("job-6");
  journal_set_dir (&journal->pool, f->pool_dir);
  journal_sealed_file (journal, f->pool_dir, "vr-guest.save");
  journal_sealed_file (journal, f->pool_dir, "vr-guest-disk0.qcow2");
  write_as_guest (f->pool_dir, "vr-guest-disk0.qcow2", &after);
  crash_with (f, journal);
  {
    g_autofree char *jpath = vr_store_system_file (f->store, f->system,
                                                   VR_REALIZE_JOURNAL);
    g_autofree char *jtext = NULL;

    g_assert_true (g_file_get_contents (jpath, &jtext, NULL, NULL));
    test_assert_valid_rng ("realize-journal.rng", jtext);
    g_assert_nonnull (strstr (jtext, "mtime-ns="));
  }
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1);
  g_assert_cmpint (stat (path, &now), ==, 0);
  g_assert_cmpuint (now.st_ino, ==, after.st_ino);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "made by the job and the guest");
}

/* The domain of a realize that died before its hand-off, booted by a
 * person since: recovery (as the agent runs it at start) neither stops nor
 * undefines it, keeps the job's files, and says so in the record. */
static void
test_recover_keeps_used_domain (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_tagged (f, "job-7");
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autoptr (GError) error = NULL;
  unsigned int id;

  journal->job = g_strdup ("job-7");
  journal_set_dir (&journal->pool, f->pool_dir);
  journal_sealed_file (journal, f->pool_dir, "vr-guest.save")->saved_state
      = TRUE;
  journal->domain_uuid = g_strdup (BASIC_UUID);
  journal->defined = TRUE;
  crash_with (f, journal);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  id = virDomainGetID (dom);
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  g_assert_cmpint (virDomainIsActive (dom), ==, 1);
  g_assert_cmpuint (virDomainGetID (dom), ==, id);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1);
  back = reload (f);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_FAILED);
  g_assert_cmpint (vr_planned_system_get_last_job_code (back), ==,
                   VR_ERROR_IN_USE);
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "domain 'vr-guest'"));
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "it is running"));
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "nothing was removed"));
  g_assert_false (vr_realize_journal_exists (f->store, back));
}

/* The same after a confirmed hand-off: the realize counts as done
 * (realized), the guest runs on, only the pool's copy of the saved state
 * (which the job removes after the hand-off) goes. */
static void
test_recover_used_after_handoff (Fixture *f, gconstpointer data)
{
  g_autoptr (virDomain) dom = define_tagged (f, "job-8");
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autoptr (GError) error = NULL;
  unsigned int id;

  journal->job = g_strdup ("job-8");
  journal_set_dir (&journal->pool, f->pool_dir);
  journal_sealed_file (journal, f->pool_dir, "vr-guest.save")->saved_state
      = TRUE;
  journal_sealed_file (journal, f->pool_dir, "vr-guest-disk0.qcow2");
  journal->domain_uuid = g_strdup (BASIC_UUID);
  journal->defined = TRUE;
  journal->handed_off = TRUE;
  crash_with (f, journal);
  g_assert_cmpint (virDomainCreate (dom), ==, 0);
  id = virDomainGetID (dom);
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (virDomainGetID (dom), ==, id);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1);
  g_assert_true (g_file_test (f->pool_dir, G_FILE_TEST_IS_DIR));
  back = reload (f);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_REALIZED);
  g_assert_cmpstr (vr_planned_system_get_domain (back), ==, "vr-guest");
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "has run since"));
}

/* A pool directory replaced after the crash is not touched at all. */
static void
test_recover_pool_replaced (Fixture *f, gconstpointer data)
{
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *moved = g_strconcat (f->pool_dir, ".moved", NULL);

  journal->job = g_strdup ("job-4");
  journal_set_dir (&journal->pool, f->pool_dir);
  journal_made_file (journal, VR_JOURNAL_DIR_POOL, f->pool_dir,
                     "vr-guest.save");
  crash_with (f, journal);
  g_assert_cmpint (rename (f->pool_dir, moved), ==, 0);
  g_assert_cmpint (mkdir (f->pool_dir, 0700), ==, 0);
  /* Even a hard link of the very file, in another directory at that path,
   * is left. */
  {
    g_autofree char *from = g_build_filename (moved, "vr-guest.save", NULL);
    g_autofree char *to = g_build_filename (f->pool_dir, "vr-guest.save",
                                            NULL);

    g_assert_cmpint (link (from, to), ==, 0);
  }
  g_assert_true (vr_realize_recover (f->store, conn, f->system, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1);
  g_assert_cmpuint (test_count_entries (moved), ==, 1);
  test_rmtree (moved);
}

/* A journal is read without following a symlink at its path, and a
 * missing one is "no journal", not an error. */
static void
test_journal_read (Fixture *f, gconstpointer data)
{
  g_autofree char *path = vr_store_system_file (f->store, f->system,
                                                VR_REALIZE_JOURNAL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VrRealizeJournal) journal = NULL;

  journal = vr_realize_journal_read (f->store, f->system, &error);
  g_assert_no_error (error);
  g_assert_null (journal);
  g_assert_cmpint (symlink ("/etc/passwd", path), ==, 0);
  journal = vr_realize_journal_read (f->store, f->system, &error);
  g_assert_null (journal);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, path,
                     "symbolic links", NULL);
  g_assert_cmpint (unlink (path), ==, 0);
}

/* A copy of the basic import directory the test may change. */
static char *
private_import (Fixture *f, const char *variant)
{
  g_autofree char *src = vr_testbed_require (variant);
  g_autoptr (GError) error = NULL;
  char *dir = vr_testbed_copy_import_dir (src, &error);

  g_assert_no_error (error);
  use_import (f, dir);
  return dir;
}

static void
assert_refused_overlap (Fixture *f, VrPlannedSystem *system,
                        const char *import, const char *pool,
                        gboolean copy_disks, const char *how)
{
  g_autofree char *before = test_snapshot_tree (import);
  g_autofree char *after = NULL;
  VrRealizeOptions options = { .pool_dir = pool, .copy_disks = copy_disks };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autofree char *journal = vr_store_system_file (f->store, system,
                                                   VR_REALIZE_JOURNAL);

  g_assert_false (vr_realize (f->store, caps, conn, system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, how,
                     "choose a pool directory outside it", NULL);
  after = test_snapshot_tree (import);
  g_assert_cmpstr (after, ==, before);
  back = vr_store_lookup (f->store, vr_planned_system_get_uuid (system),
                          &error);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_PLANNED);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  g_assert_null (virDomainLookupByUUIDString (
      conn, vr_planned_system_get_uuid (system)));
}

/* A pool that is libvirt's save directory is refused before anything is
 * made (its NAME.save copy would take the managed save's name). */
static void
test_pool_is_save_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *save = g_build_filename (root, "lib", "qemu", "save",
                                            NULL);
  VrRealizeOptions options = { .pool_dir = save };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  guint before;

  g_assert_cmpint (g_mkdir_with_parents (save, 0755), ==, 0);
  before = test_count_entries (save);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, save,
                     "is libvirt's save directory", NULL);
  g_assert_cmpuint (test_count_entries (save), ==, before);
  back = reload (f);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_PLANNED);
  g_assert_null (virDomainLookupByUUIDString (conn, BASIC_UUID));
}

/* The agent checks a caller's pool-dir, then the realize opens it by
 * path: a link put there in between (the caller owns the parent) must
 * not lead root's writes into another directory. */
static void
test_pool_swapped_after_check (Fixture *f, gconstpointer data)
{
  g_autofree char *parent = test_mkdtemp ();
  g_autofree char *checked = g_build_filename (parent, "pool", NULL);
  g_autofree char *moved = g_build_filename (parent, "pool.old", NULL);
  g_autofree char *target = test_mkdtemp ();
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  VrRealizeOptions options = { .pool_dir = checked };
  struct stat st;

  g_assert_cmpint (mkdir (checked, 0755), ==, 0);
  g_assert_cmpint (stat (checked, &st), ==, 0);
  options.pool_dev = st.st_dev;
  options.pool_ino = st.st_ino;
  g_assert_cmpint (rename (checked, moved), ==, 0);
  g_assert_cmpint (symlink (target, checked), ==, 0);
  before = test_snapshot_tree (target);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_ACCESS_DENIED,
                     "is not the directory that was checked", NULL);
  g_clear_error (&error);
  after = test_snapshot_tree (target);
  g_assert_cmpstr (after, ==, before);
  back = vr_store_lookup (f->store, vr_planned_system_get_uuid (f->system),
                          &error);
  g_assert_no_error (error);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_PLANNED);
  g_assert_null (virDomainLookupByUUIDString (
      conn, vr_planned_system_get_uuid (f->system)));
  test_rmtree (parent);
  test_rmtree (target);
}

/* The first case: --pool-dir DIR with DIR the import directory
 * used to end with the import directory's save image deleted. */
static void
test_pool_is_import_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = private_import (f, "basic");
  g_autofree char *twisted = g_build_filename (dir, ".", NULL);

  assert_refused_overlap (f, f->system, dir, dir, FALSE,
                          "is the import directory");
  /* Another spelling of the same directory is the same directory. */
  assert_refused_overlap (f, f->system, dir, twisted, FALSE,
                          "is the import directory");
  test_rmtree (dir);
}

static void
test_pool_inside_import_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = private_import (f, "disk");
  g_autofree char *disks = g_build_filename (dir, "disks", NULL);
  g_autoptr (VrPlannedSystem) system = NULL;
  g_autoptr (GError) error = NULL;

  system = vr_store_lookup (f->store, "5a1ad0c0-7e57-4b3d-9c1e-000000000002",
                            &error);
  if (system == NULL)
    {
      g_autoptr (GPtrArray) all = vr_store_list (f->store, NULL);

      g_clear_error (&error);
      system = g_object_ref (all->pdata[0]);
    }
  assert_refused_overlap (f, system, dir, disks, TRUE, "is inside");
  test_rmtree (dir);
}

static void
test_pool_contains_import_dir (Fixture *f, gconstpointer data)
{
  g_autofree char *src = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *inner = g_build_filename (f->pool_dir, "export", NULL);

  g_assert_no_error (error);
  g_assert_cmpint (rename (copy, inner), ==, 0);
  use_import (f, inner);
  assert_refused_overlap (f, f->system, inner, f->pool_dir, FALSE,
                          "contains");
}

/* A file of the target's name in the pool (a disk kept by "virsh
 * undefine", a user's file) stays byte for byte; the copy takes the next
 * free name. */
static void
test_save_name_taken (Fixture *f, gconstpointer data)
{
  VrRealizeOptions options = { .pool_dir = f->pool_dir,
                               .handoff = VR_HANDOFF_LINK };
  g_autoptr (GError) error = NULL;
  g_autofree char *precious = g_build_filename (f->pool_dir, "vr-guest.save",
                                                NULL);
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;

  test_write_file (f->pool_dir, "vr-guest.save", "someone's file", -1);
  want = test_sha256_file (precious);
  g_assert_true (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  got = test_sha256_file (precious);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1);
  assert_start_restores ();
}

static void
test_disk_name_taken (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_require ("disk");
  g_autofree char *precious = g_build_filename (
      f->pool_dir, "vr-guest-disk-disk0.qcow2", NULL);
  g_autofree char *copy = g_build_filename (
      f->pool_dir, "vr-guest-disk-disk0-2.qcow2", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (f->store, dir, NULL,
                                                       &error);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autofree char *xml = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (f->pool_dir, 0755), ==, 0);
  test_write_file (f->pool_dir, "vr-guest-disk-disk0.qcow2", "kept disk", -1);
  want = test_sha256_file (precious);
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  got = test_sha256_file (precious);
  g_assert_cmpstr (got, ==, want);
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  g_assert_nonnull (strstr (xml, copy));
  /* The tag that proves whose domain it is, for "virsh dumpxml" too. */
  g_assert_nonnull (strstr (xml, VR_REALIZE_METADATA_NS));
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
}

/* F7 of the fifth attack review: another user of a shared pool folder
 * made every readable name of the disk's copy first (links to a victim's
 * file, and a dangling one). Realize still succeeds under a random name;
 * the links and the victim are untouched. */
static void
test_disk_names_squatted (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_require ("disk");
  g_autofree char *victim = g_build_filename (f->pool_dir, "victim", NULL);
  g_autofree char *first = g_build_filename (
      f->pool_dir, "vr-guest-disk-disk0.qcow2", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) system = vr_import_path (f->store, dir, NULL,
                                                       &error);
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *prefix = g_build_filename (f->pool_dir,
                                              "vr-guest-disk-disk0-", NULL);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *file = NULL;
  const char *source;
  struct stat st;

  g_assert_no_error (error);
  g_assert_cmpint (chmod (f->pool_dir, 0755), ==, 0);
  test_write_file (f->pool_dir, "victim", "victim's disk", -1);
  want = test_sha256_file (victim);
  g_assert_cmpint (symlink ("/nonexistent/vr", first), ==, 0);
  for (guint n = 2; n <= 1000; n++)
    {
      g_autofree char *name = vr_copy_free_name ("vr-guest-disk-disk0.qcow2",
                                                 n);
      g_autofree char *link = g_build_filename (f->pool_dir, name, NULL);

      g_assert_cmpint (symlink (victim, link), ==, 0);
    }
  g_assert_true (vr_realize (f->store, caps, conn, system, &options, NULL,
                             NULL, &error));
  g_assert_no_error (error);
  got = test_sha256_file (victim);
  g_assert_cmpstr (got, ==, want);
  g_assert_cmpint (lstat (first, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  dom = virDomainLookupByName (conn, "vr-guest-disk");
  xml = virDomainGetXMLDesc (dom, VIR_DOMAIN_XML_INACTIVE);
  doc = vr_xml_parse_buffer (xml, strlen (xml), "domain XML", "domain",
                              &error);
  g_assert_no_error (error);
  file = vr_xml_xpath_string (doc, "string(/domain/devices/disk"
                                   "[target/@dev='vda']/source/@file)");
  g_assert_true (g_str_has_prefix (file, prefix));
  /* NAME-<16 hex digits>.qcow2 */
  source = file + strlen (prefix);
  g_assert_cmpuint (strspn (source, "0123456789abcdef"), ==, 16);
  g_assert_cmpstr (source + 16, ==, ".qcow2");
  /* victim, 1000 links, the copy. */
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1002);
  virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
}

/* Every readable name of the save image's copy taken, as links to a
 * victim's file and a dangling one. */
static void
squat_save_names (const char *pool_dir, const char *victim)
{
  g_autofree char *first = g_build_filename (pool_dir, "vr-guest.save", NULL);

  g_assert_cmpint (symlink ("/nonexistent/vr", first), ==, 0);
  for (guint n = 2; n <= 1000; n++)
    {
      g_autofree char *name = vr_copy_free_name ("vr-guest.save", n);
      g_autofree char *link = g_build_filename (pool_dir, name, NULL);

      g_assert_cmpint (symlink (victim, link), ==, 0);
    }
}

typedef struct {
  const char *pool_dir;
  char *copy;       /* the copy's name when define began */
  gboolean clashed;
} SquatClash;

/* At define: which regular file the copy is, then a clashing domain. */
static void
note_copy_then_clash (const VrProgressState *state, gpointer user_data)
{
  SquatClash *c = user_data;
  g_autoptr (GDir) dir = NULL;
  const char *entry;

  if (g_strcmp0 (state->phase, "define") != 0 || c->clashed)
    return;
  dir = g_dir_open (c->pool_dir, 0, NULL);
  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (c->pool_dir, entry, NULL);
      struct stat st;

      if (lstat (path, &st) == 0 && S_ISREG (st.st_mode)
          && g_str_has_prefix (entry, "vr-guest-"))
        c->copy = g_strdup (entry);
    }
  define_clash (state, &c->clashed);
}

/* F7: the undo of a realize whose copy got a random name (every readable
 * one squatted) removes that copy and nothing else: the links and the
 * victim stay. */
static void
test_undo_squatted (Fixture *f, gconstpointer data)
{
  g_autofree char *victim = g_build_filename (f->pool_dir, "victim", NULL);
  SquatClash clash = { f->pool_dir, NULL, FALSE };
  g_autoptr (VrProgress) progress = vr_progress_new (note_copy_then_clash,
                                                     &clash);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  g_autofree char *want = NULL;
  g_autofree char *got = NULL;
  g_autofree char *copy = NULL;

  test_write_file (f->pool_dir, "victim", "victim's", -1);
  want = test_sha256_file (victim);
  squat_save_names (f->pool_dir, victim);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              progress, NULL, &error));
  g_assert_true (clash.clashed);
  test_assert_error (error, VR_ERROR_FAILED, "libvirt refused to define",
                     NULL);
  g_test_message ("the copy was %s", clash.copy);
  g_assert_nonnull (clash.copy);
  g_assert_cmpuint (strlen (clash.copy),
                    ==, strlen ("vr-guest-0123456789abcdef.save"));
  copy = g_build_filename (f->pool_dir, clash.copy, NULL);
  g_assert_false (g_file_test (copy, G_FILE_TEST_EXISTS));
  got = test_sha256_file (victim);
  g_assert_cmpstr (got, ==, want);
  /* victim and the 1000 links. */
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 1001);
  for (guint n = 2; n <= 1000; n++)
    {
      g_autofree char *name = vr_copy_free_name ("vr-guest.save", n);
      g_autofree char *link = g_build_filename (f->pool_dir, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      g_assert_cmpstr (target, ==, victim);
    }
  test_remove_domain (conn, "5a1ad0c0-7e57-4b3d-9c1e-0000000000cc");
  g_free (clash.copy);
}

typedef struct {
  VrStore *store;
  VrPlannedSystem *system;
  const char *pool_dir;
  GCancellable *cancellable;
  GMutex lock;
  GCond cond;
  gboolean held;
  gboolean release;
  gboolean ok;
  GError *error;
} Runner;

static void
hold_mid_copy (const VrProgressState *state, gpointer user_data)
{
  Runner *run = user_data;

  if (g_strcmp0 (state->phase, "copy") != 0 || state->bytes_done == 0
      || run->held)
    return;
  g_mutex_lock (&run->lock);
  run->held = TRUE;
  g_cond_broadcast (&run->cond);
  while (!run->release)
    g_cond_wait (&run->cond, &run->lock);
  g_mutex_unlock (&run->lock);
}

static gpointer
run_realize (gpointer data)
{
  Runner *run = data;
  g_autoptr (VrProgress) progress = vr_progress_new (hold_mid_copy, run);
  VrRealizeOptions options = { .pool_dir = run->pool_dir,
                               .handoff = VR_HANDOFF_LINK,
                               /* Named temp files: the case where another
                                * job's temp is there to be kept. */
                               .copy_flags = VR_COPY_NO_REFLINK
                                             | VR_COPY_NAMED_TEMP };

  run->ok = vr_realize (run->store, caps, conn, run->system, &options,
                        progress, run->cancellable, &run->error);
  return NULL;
}

static void
runner_wait_held (Runner *run)
{
  g_mutex_lock (&run->lock);
  while (!run->held)
    g_cond_wait (&run->cond, &run->lock);
  g_mutex_unlock (&run->lock);
}

static void
runner_release (Runner *run)
{
  g_mutex_lock (&run->lock);
  run->release = TRUE;
  g_cond_broadcast (&run->cond);
  g_mutex_unlock (&run->lock);
}

static guint
count_temps (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    n += g_str_has_prefix (name, VR_COPY_TEMP_PREFIX);
  return n;
}

/* Two planned systems (two state directories, the same guest) realized at
 * once into one pool want the same names. A's cancel and rollback leave
 * B's temp file alone; B then realizes; A again is refused and leaves B's
 * domain and managed save alone. */
static void
test_names_collide (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = vr_testbed_large_import (64);
  g_autofree char *state_b = test_mkdtemp ();
  g_autoptr (VrStore) store_b = vr_store_new (state_b);
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancel_a = g_cancellable_new ();
  Runner a = { 0 };
  Runner b = { 0 };
  GThread *ta;
  GThread *tb;
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest.save", NULL);
  g_autofree char *managed_sum = NULL;
  g_autofree char *managed_after = NULL;
  VrRealizeOptions options = { .pool_dir = f->pool_dir,
                               .handoff = VR_HANDOFF_LINK };
  g_autoptr (virDomain) dom = NULL;

  use_import (f, dir);
  a = (Runner) { .store = f->store, .system = f->system,
                 .pool_dir = f->pool_dir, .cancellable = cancel_a };
  b = (Runner) { .store = store_b,
                 .system = vr_import_path (store_b, dir, NULL, &error),
                 .pool_dir = f->pool_dir };
  g_assert_no_error (error);
  ta = g_thread_new ("a", run_realize, &a);
  runner_wait_held (&a);
  tb = g_thread_new ("b", run_realize, &b);
  runner_wait_held (&b);
  g_assert_cmpuint (count_temps (f->pool_dir), ==, 2);
  g_cancellable_cancel (cancel_a);
  runner_release (&a);
  g_thread_join (ta);
  g_assert_false (a.ok);
  g_assert_error (a.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  /* B's temp file is B's. */
  g_assert_cmpuint (count_temps (f->pool_dir), ==, 1);
  runner_release (&b);
  g_thread_join (tb);
  g_assert_no_error (b.error);
  g_assert_true (b.ok);
  managed_sum = test_sha256_file (managed);
  /* A again, now colliding with B's domain: refused, and B's is kept. */
  g_clear_object (&f->system);
  f->system = reload (f);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "VR1602", NULL);
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_nonnull (dom);
  managed_after = test_sha256_file (managed);
  g_assert_cmpstr (managed_after, ==, managed_sum);
  g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  g_clear_error (&a.error);
  g_object_unref (b.system);
  g_mutex_clear (&a.lock);
  g_cond_clear (&a.cond);
  g_mutex_clear (&b.lock);
  g_cond_clear (&b.cond);
  test_rmtree (state_b);
  test_rmtree (dir);
}

/* Destroy while a realize holds the planned system, and after one died
 * (its journal left): refused, the journal kept. */
static void
test_destroy_during_realize (Fixture *f, gconstpointer data)
{
  Runner a = { .store = f->store, .system = f->system,
               .pool_dir = f->pool_dir };
  g_autoptr (VrPlannedSystem) other = reload (f);
  g_autoptr (VrRealizeJournal) journal = vr_realize_journal_new ();
  g_autoptr (GError) error = NULL;
  GThread *ta;

  ta = g_thread_new ("a", run_realize, &a);
  runner_wait_held (&a);
  g_assert_false (vr_store_remove (f->store, other, &error));
  test_assert_error (error, VR_ERROR_IN_USE, NULL);
  g_clear_error (&error);
  runner_release (&a);
  g_thread_join (ta);
  g_assert_true (a.ok);
  test_remove_domain (conn, BASIC_UUID);
  /* A realize that died: its journal is all that says what it made. */
  g_clear_object (&f->system);
  f->system = reload (f);
  journal->job = g_strdup ("job-5");
  crash_with (f, journal);
  g_assert_false (vr_store_remove (f->store, f->system, &error));
  test_assert_error (error, VR_ERROR_IN_USE, "unfinished realize", NULL);
  g_assert_true (vr_realize_journal_exists (f->store, f->system));
  g_mutex_clear (&a.lock);
  g_cond_clear (&a.cond);
}

/* dir's manifest.xml, as an export writes it. */
static void
write_manifest (const char *dir)
{
  g_autoptr (GError) error = NULL;
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY);
  g_autofree char *manifest = vr_manifest_build (dir_fd, dir, NULL, NULL,
                                                 &error);

  close (dir_fd);
  g_assert_no_error (error);
  test_write_file (dir, "manifest.xml", manifest, -1);
}

/* One byte of the save image flipped after import: the copy's SHA-256
 * does not match the manifest, the realize stops before define naming
 * the file, and nothing is left. */
static void
test_save_changed_after_import (Fixture *f, gconstpointer data)
{
  g_autofree char *src = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  char byte;
  int fd;
  struct stat st;

  g_assert_no_error (error);
  write_manifest (dir);
  use_import (f, dir);
  /* The last byte, far past the header: the image still reads as one
   * and has its size. */
  fd = open (save, O_RDWR);
  g_assert_cmpint (fstat (fd, &st), ==, 0);
  g_assert_cmpint (pread (fd, &byte, 1, st.st_size - 1), ==, 1);
  byte ^= 0x01;
  g_assert_cmpint (pwrite (fd, &byte, 1, st.st_size - 1), ==, 1);
  close (fd);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, save,
                     "changed since it was exported", "before defining",
                     NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_FAILED,
                       VR_ERROR_INVALID_PARAMETER);
  test_rmtree (dir);
}

/* Thirteenth review, D2: a carried disk grown after the export (a
 * sparse hole of a gigabyte here; terabytes cost hours of hashing in a
 * job slot others wait for) is refused by its size before it is read,
 * naming the manifest's size and the file's; nothing is left. */
static void
test_disk_grown_with_manifest (Fixture *f, gconstpointer data)
{
  g_autofree char *src = vr_testbed_require ("disk");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *disk = g_build_filename (dir, "disks", "disk0.qcow2",
                                            NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .copy_disks = TRUE };
  struct stat st;

  g_assert_no_error (error);
  write_manifest (dir);
  use_import (f, dir);
  g_assert_cmpint (stat (disk, &st), ==, 0);
  g_assert_cmpint (truncate (disk, st.st_size + (1 << 30)), ==, 0);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  g_test_message ("realize: %s", error->message);
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, disk,
                     "changed since it was exported", "not copied", NULL);
  {
    const char *uuid = vr_planned_system_get_uuid (f->system);
    g_autoptr (VrPlannedSystem) back = vr_store_lookup (f->store, uuid,
                                                        NULL);
    g_autoptr (virDomain) dom = virDomainLookupByUUIDString (conn, uuid);

    virResetLastError ();
    g_assert_null (dom);
    g_assert_nonnull (back);
    g_assert_cmpint (vr_planned_system_get_state (back), ==,
                     VR_PLANNED_STATE_FAILED);
    g_assert_false (vr_realize_journal_exists (f->store, back));
    g_assert_cmpuint (test_count_entries (f->pool_dir), ==, 0);
  }
  test_rmtree (dir);
}

/* Without a manifest, the size the import recorded is checked again. */
static void
test_save_size_changed (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = private_import (f, "basic");
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  int fd = open (save, O_WRONLY | O_APPEND);

  g_assert_cmpint (write (fd, "x", 1), ==, 1);
  close (fd);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, save,
                     "changed since it was imported", NULL);
  /* Found before the realize made anything. */
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, 0);
  test_rmtree (dir);
}

/* Without a manifest, one byte flipped in the middle of the save image
 * (same size, header intact) is found by its modification time, before
 * the realize made anything. */
static void
test_save_flipped_no_manifest (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = private_import (f, "basic");
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GError) error = NULL;
  int fd = open (save, O_RDWR);
  struct stat st;
  char byte;

  g_assert_cmpint (fstat (fd, &st), ==, 0);
  g_assert_cmpint (pread (fd, &byte, 1, st.st_size / 2), ==, 1);
  byte ^= 0x01;
  g_assert_cmpint (pwrite (fd, &byte, 1, st.st_size / 2), ==, 1);
  close (fd);
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_INVALID_PARAMETER, save,
                     "changed since it was imported", "modification time",
                     NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, 0);
  test_rmtree (dir);
}

/* The new user's case: an import directory without a manifest whose
 * image was cut short (`truncate -s 50%`) before the import. Validate
 * says so (VR1715, naming the file and its size) and realize refuses
 * before it copies anything. */
static void
test_save_truncated_no_manifest (Fixture *f, gconstpointer data)
{
  g_autofree char *src = vr_testbed_require ("basic");
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = vr_testbed_copy_import_dir (src, &error);
  g_autofree char *save = g_build_filename (dir, "vr-guest.save", NULL);
  VrRealizeOptions options = { .pool_dir = f->pool_dir };
  g_autoptr (GPtrArray) findings = NULL;
  g_autofree char *size = NULL;
  struct stat st;
  VrFinding *cut = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (stat (save, &st), ==, 0);
  g_assert_cmpint (truncate (save, st.st_size / 2), ==, 0);
  size = g_strdup_printf ("(%" G_GINT64_FORMAT " bytes)",
                          (gint64) st.st_size / 2);
  use_import (f, dir);
  findings = vr_validate_planned (caps, f->store, f->system, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (g_str_equal (finding->id, "VR1715"))
        cut = finding;
    }
  g_assert_nonnull (cut);
  g_assert_cmpint (cut->severity, ==, VR_SEVERITY_ERROR);
  g_assert_nonnull (strstr (cut->message, "vr-guest.save: the save image "
                                          "is incomplete"));
  g_assert_nonnull (strstr (cut->message, size));
  g_assert_nonnull (strstr (cut->hint, "keep the source"));
  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options, NULL,
                              NULL, &error));
  test_assert_error (error, VR_ERROR_NOT_SUPPORTED, "does not fit this host",
                     NULL);
  assert_nothing_left (f, VR_PLANNED_STATE_PLANNED, 0);
  test_rmtree (dir);
}

/* Cuts libvirt's copy of the saved state short once the job reaches its
 * start: the start then really fails in QEMU. */
static void
cut_at_start (const VrProgressState *state, gpointer user_data)
{
  gboolean *done = user_data;
  g_autofree char *managed = g_build_filename (root, "lib", "qemu", "save",
                                               "vr-guest.save", NULL);
  struct stat st;

  if (g_strcmp0 (state->phase, "start") != 0 || *done)
    return;
  g_assert_cmpint (stat (managed, &st), ==, 0);
  g_assert_cmpint (truncate (managed, st.st_size / 2), ==, 0);
  *done = TRUE;
}

/* A start that fails after the hand-off removes nothing, and the record
 * says so with the way back, instead of a plain "realized". */
static void
test_start_fails (Fixture *f, gconstpointer data)
{
  gboolean cut = FALSE;
  g_autoptr (VrProgress) progress = vr_progress_new (cut_at_start, &cut);
  VrRealizeOptions options = { .pool_dir = f->pool_dir, .start = TRUE,
                               .handoff = VR_HANDOFF_MANAGED_SAVE };
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) back = NULL;
  g_autoptr (virDomain) dom = NULL;
  g_autofree char *journal = NULL;

  g_assert_false (vr_realize (f->store, caps, conn, f->system, &options,
                              progress, NULL, &error));
  g_assert_true (cut);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  test_assert_error (error, vr_error_get_code (error),
                     "realized 'vr-guest', but domain 'vr-guest' did not "
                     "start", "nothing was removed", "virsh start vr-guest",
                     NULL);
  back = reload (f);
  g_assert_cmpint (vr_planned_system_get_state (back), ==,
                   VR_PLANNED_STATE_REALIZED);
  g_assert_cmpint (vr_planned_system_get_last_job_code (back), !=, 0);
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "did not start"));
  g_assert_nonnull (strstr (vr_planned_system_get_last_job_message (back),
                            "nothing was removed"));
  journal = vr_store_system_file (f->store, back, VR_REALIZE_JOURNAL);
  g_assert_false (g_file_test (journal, G_FILE_TEST_EXISTS));
  /* Nothing removed: the domain, and libvirt's saved state with it. */
  dom = virDomainLookupByUUIDString (conn, BASIC_UUID);
  g_assert_nonnull (dom);
  g_assert_cmpint (virDomainIsActive (dom), ==, 0);
  g_assert_cmpint (virDomainHasManagedSaveImage (dom, 0), ==, 1);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *uri = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  root = vr_testbed_new_root ("realize");
  uri = vr_testbed_root_uri (root);
  conn = vr_libvirt_open (uri, &error);
  g_assert_no_error (error);
  caps = vr_host_caps_new (conn);
#define ADD(path, func) \
  g_test_add ("/realize/" path, Fixture, NULL, fixture_set_up, func, \
              fixture_tear_down)
  ADD ("link-resumes", test_link_resumes);
  ADD ("managedsave-resumes", test_managed_save_resumes);
  ADD ("already-realized", test_already_realized);
  ADD ("cancel-mid-copy", test_cancel_mid_copy);
  ADD ("out-of-space", test_out_of_space);
  ADD ("define-refused", test_define_refused);
  ADD ("does-not-fit", test_does_not_fit);
  ADD ("import-dir-replaced", test_import_dir_replaced);
  ADD ("twice-at-once", test_twice_at_once);
  ADD ("recover", test_recover);
  ADD ("recover-keeps-foreign", test_recover_keeps_foreign);
  ADD ("journal-read", test_journal_read);
  ADD ("recover-pool-replaced", test_recover_pool_replaced);
  ADD ("recover-keeps-changed-file", test_recover_keeps_changed_file);
  ADD ("recover-keeps-used-domain", test_recover_keeps_used_domain);
  ADD ("recover-used-after-handoff", test_recover_used_after_handoff);
  ADD ("pool-is-import-dir", test_pool_is_import_dir);
  ADD ("pool-swapped-after-check", test_pool_swapped_after_check);
  ADD ("pool-inside-import-dir", test_pool_inside_import_dir);
  ADD ("pool-contains-import-dir", test_pool_contains_import_dir);
  ADD ("pool-is-save-dir", test_pool_is_save_dir);
  ADD ("read-only-pool", test_read_only_pool);
  ADD ("save-name-taken", test_save_name_taken);
  ADD ("disk-name-taken", test_disk_name_taken);
  ADD ("disk-names-squatted", test_disk_names_squatted);
  ADD ("undo-squatted", test_undo_squatted);
  ADD ("names-collide", test_names_collide);
  ADD ("destroy-during-realize", test_destroy_during_realize);
  ADD ("save-changed-after-import", test_save_changed_after_import);
  ADD ("disk-grown-with-manifest", test_disk_grown_with_manifest);
  ADD ("save-size-changed", test_save_size_changed);
  ADD ("save-flipped-no-manifest", test_save_flipped_no_manifest);
  ADD ("save-truncated-no-manifest", test_save_truncated_no_manifest);
  ADD ("start-fails", test_start_fails);
  ADD ("copy-disks", test_copy_disks);
  ADD ("copy-disks/prefix-once", test_copy_disks_prefix_once);
  ADD ("data-file-refused", test_data_file_refused);
  ADD ("counted-sizes", test_counted_sizes);
  ADD ("in-place-disk-refused", test_in_place_disk_refused);
  ADD ("validates-opened-dir", test_validates_opened_dir);
  ADD ("no-lookup-for-caller", test_no_lookup_for_caller);
  ADD ("new-id-copy", test_new_id_copy);
#undef ADD
  status = g_test_run ();
  g_object_unref (caps);
  virConnectClose (conn);
  test_rmtree (root);
  g_free (root);
  return status;
}
