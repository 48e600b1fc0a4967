/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "planned-system.h"

G_BEGIN_DECLS

/* A new empty directory under the temp dir, removed by test_rmtree(). */
char *test_mkdtemp (void);

/* TRUE in a build with -Dtest_hooks=true; otherwise marks the test
 * skipped (with the reason) and returns FALSE. */
gboolean test_needs_hooks (void);
void test_rmtree (const char *path);

void test_write_file (const char *dir, const char *name, const char *contents,
                      gssize len);

/* A minimal domain XML with the given name and UUID. */
char *test_domain_xml (const char *name, const char *uuid);

/* <name>text</name> as a fragment, made with libxml2's tree API (the text
 * escaped). */
char *test_xml_text_element (const char *name, const char *text);

/* A synthetic QEMU save image: a v2 header with the given magic, version
 * and compression, the domain XML, a cookie, and payload_len bytes of
 * "migration stream". */
GBytes *test_save_image (const char *magic,
                         guint32 version,
                         guint32 compressed,
                         const char *xml,
                         gsize payload_len);

/* Names, types, modes, sizes, link targets and SHA-256 of every entry below
 * path, as one string: equal strings mean an unchanged tree. */
char *test_snapshot_tree (const char *path);

/* How many entries a directory has (0 when it does not exist). */
guint test_count_entries (const char *path);

/* The SHA-256 of a file's contents, in hex. */
char *test_sha256_file (const char *path);

/* Destroys and undefines (with its managed save) the domain of uuid, if
 * there is one. */
void test_remove_domain (virConnectPtr conn, const char *uuid);

/* virsh's stdout for commands on uri, stripped, in its own process (so
 * that a test never opens an embedded root that its virt-realize
 * processes must open). */
char *test_virsh (const char *uri, const char *commands);

/* A planned system from the import directory at path (not stored);
 * fails the test on any error. */
VrPlannedSystem *test_plan_import (const char *path, VrImportFlags flags);

/* virsh's stdout then stderr for commands on uri (its own process), for
 * a test that searches the text for errors. */
char *test_virsh_all (const char *uri, const char *commands);

/* Takes out: fails the test unless status is wanted and out contains
 * needle (NULL: anything). */
void test_expect (char *out, int status, int wanted, const char *needle);

/* What a command gave: its exit status (-1 when a signal ended it) and
 * what it wrote on stdout and stderr. */
typedef struct {
  int status;
  char *out;
  char *err;
} TestRun;

void test_run_clear (TestRun *run);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TestRun, test_run_clear)

/* Runs argv (argv[0] looked up in PATH) to its end, child_setup (may be
 * NULL) in the child, and logs the outcome as a test message. */
void test_run (TestRun *run, const char *const *argv,
               GSpawnChildSetupFunc child_setup);

/* The words of program (NULL: $VR_CLI) --direct --state-dir state, then
 * -c uri unless uri is NULL, then args; NULL-terminated, for test_run(). */
GPtrArray *test_cli_argv (const char *program, const char *state,
                          const char *uri, const char *const *args);

/* test_run() of test_cli_argv (NULL, state, uri, args): stdout then stderr
 * in one string, for a test that only searches the text. */
char *test_cli_direct (const char *state, const char *uri, int *status, ...)
    G_GNUC_NULL_TERMINATED;

/* Fails the test unless xml is valid against schemas/<schema> (RelaxNG). */
void test_assert_valid_rng (const char *schema, const char *xml);

/* Fails the test unless error is in VR_ERROR with code and its message
 * contains every NULL-terminated needle. */
void test_assert_error (const GError *error, int code, ...) G_GNUC_NULL_TERMINATED;

/* Runs func (data) in a thread held at VR_TEST_PAUSE_AT=point (a build
 * with test hooks), calls at_pause (pause_data) once it waits there (a
 * test changes the world), lets it go on and returns func's result. */
gpointer test_run_paused (const char *point,
                          GThreadFunc func,
                          gpointer data,
                          void (*at_pause) (gpointer),
                          gpointer pause_data);

/* A libvirtd of its own, as uid 65534 in session mode with everything
 * under dir: it serves test:///default on DIR/run/libvirt-sock. */
GSubprocess *test_libvirtd_start (const char *dir);

/* SIGTERM and wait. */
void test_libvirtd_stop (GSubprocess *daemon);

/* A second libvirtd as a remote host (tests/test-remote, bench-remote):
 * as uid 65534 in session mode with everything under dir (socket in
 * DIR/run/libvirt-sock, config and logs in DIR/home), listening on
 * 127.0.0.1:port too (TCP, no auth); returns once it answers on both. */
GSubprocess *test_remote_libvirtd_start (const char *dir, guint port);
GSubprocess *test_remote_libvirtd_start_full (const char *dir, guint port,
                                              gboolean reaped);

/* A free TCP port on 127.0.0.1. */
guint test_free_port (void);

/* The <state> of planned system uuid's record in the state directory
 * state: NULL without a record, "(unreadable)" when it does not parse. */
char *test_record_state (const char *state, const char *uuid);

/* Built with AddressSanitizer: freed memory stays in its quarantine, so
 * RSS says nothing of leaks there. */
gboolean test_sanitized (void);

G_END_DECLS
