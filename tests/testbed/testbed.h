/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The test bed holds real import directories (a domain XML and a QEMU
 * managed-save image made by libvirt's embedded QEMU driver). They are made
 * once per test run by the vr-testbed executable, because libvirt allows only
 * one embedded root per process, and shared by all tests. */

/* Absolute path of the test bed directory: $VR_TESTBED_DIR if set, else the
 * default compiled in by meson (the build dir's "testbed"). */
const char *vr_testbed_dir (void);

/* Ensures the variant ("basic", "disk", "second") exists by running the
 * vr-testbed executable ($VR_TESTBED if set, else the path meson compiled in)
 * and returns its import directory (newly allocated), or NULL with error. */
char *vr_testbed_import_dir (const char *variant, GError **error);

/* The same, failing the current GLib test with the error message if it
 * fails. */
char *vr_testbed_require (const char *variant);

/* Copies an import directory (regular files and the disks/ subfolder) into a
 * new temporary directory (under g_get_tmp_dir()) that the caller owns, for
 * tests that mutate the files. Returns its path. */
char *vr_testbed_copy_import_dir (const char *src, GError **error);

/* A private copy of the basic variant whose save image has mib MiB of
 * dense data appended after QEMU's stream (libvirt never reads that far;
 * see vr_testbed_append_mib):
 * a saved state large enough for a copy to take a while. The caller
 * removes it. Aborts the test on failure. */
char *vr_testbed_large_import (guint mib);

/* Appends mib MiB of dense data (0x5a) to the save image at path, then
 * its last 256 KiB again, so that it still ends as a whole QEMU stream
 * does (validate checks that). Aborts the test on failure. */
void vr_testbed_append_mib (const char *path, guint mib);

/* Recursively removes a directory tree (not following symlinks). */
void vr_testbed_rmtree (const char *path);

/* A new, empty embedded QEMU root for one test program, under the test
 * bed's roots/ (so scripts/test.sh removes it), traversable by QEMU, with
 * qemu.conf set for running without virtlogd. Only one process may open a
 * root, and a process may open only one root. Aborts the test on failure. */
char *vr_testbed_new_root (const char *name);

/* "qemu:///embed?root=ROOT". */
char *vr_testbed_root_uri (const char *root);

G_END_DECLS
