/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A realize's journal.xml as recovery reads it, through the journal's
 * public read function only (vr_realize_journal_read), so that this target
 * follows whatever fields the journal has. The state directory is a real
 * one made once, with one planned system; each input is its journal. */
#include "config.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "planned-system.h"
#include "realize-journal.h"
#include "store.h"

#define FUZZ_UUID "5a1ad0c0-7e57-4b3d-9c1e-00000000f022"

static VrStore *store;
static VrPlannedSystem *planned;
static int system_dir_fd = -1;

static VrPlannedSystem *
make_system (void)
{
  static const char record[] =
      "<planned-system version='1'><uuid>" FUZZ_UUID "</uuid>"
      "<name>vr-fuzz</name><state>realizing</state>"
      "<import-dir>/nonexistent/vr-fuzz</import-dir>"
      "<created>2026-12-02T00:00:00Z</created>"
      "<save-image file='vr-fuzz.save' size='4096' was-running='yes'/>"
      "</planned-system>";
  static const char xml[] =
      "<domain type='kvm'><name>vr-fuzz</name><uuid>" FUZZ_UUID "</uuid>"
      "</domain>";
  g_autoptr (GError) error = NULL;
  VrPlannedSystem *system = vr_planned_system_new_from_record (
      record, strlen (record), xml, strlen (xml), "fuzz record", &error);

  g_assert_no_error (error);
  return system;
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *path = NULL;
  g_autofree char *system_dir = NULL;

  vr_fuzz_init ();
  path = vr_fuzz_tmpdir ("vr-fuzz-journal-XXXXXX");
  store = vr_store_new (path);
  planned = make_system ();
  system_dir = g_build_filename (path, FUZZ_UUID, NULL);
  g_assert_cmpint (g_mkdir (system_dir, 0700), ==, 0);
  system_dir_fd = open (system_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (system_dir_fd, >=, 0);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrRealizeJournal) journal = NULL;

  vr_fuzz_write_at (system_dir_fd, VR_REALIZE_JOURNAL, data, size);
  journal = vr_realize_journal_read (store, planned, &error);
  vr_fuzz_check_outcome (journal != NULL, error, g_utf8_validate (
                             (const char *) data, size, NULL));
  return 0;
}
