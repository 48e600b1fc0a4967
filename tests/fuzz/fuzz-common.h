/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* libFuzzer's entry points (each target defines them). */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Once per process: libxml2's global state (so that LeakSanitizer does
 * not count it per input), GLib warnings and criticals fatal (on hostile
 * input they are bugs), and no message output to slow the fuzzer. */
void vr_fuzz_init (void);

/* The input as a NUL-terminated string (it may hold NULs of its own). */
char *vr_fuzz_string (const uint8_t *data, size_t size);

/* A memfd named name, for parsers that read from an fd; reused for every
 * input by vr_fuzz_fd_set(). */
int vr_fuzz_memfd (const char *name);
void vr_fuzz_fd_set (int fd, const uint8_t *data, size_t size);

/* Writes name below dir_fd (replacing it) with the input. */
void vr_fuzz_write_at (int dir_fd, const char *name, const uint8_t *data,
                       size_t size);

/* A temporary directory, removed with what it holds when the fuzzer
 * exits normally. */
char *vr_fuzz_tmpdir (const char *template);

/* What every parser promises: it either succeeds with no error, or fails
 * with one GError in VR_ERROR and a message; a message that reaches D-Bus
 * must be UTF-8, which it is whenever the input was (utf8_input). */
void vr_fuzz_check_outcome (gboolean ok, const GError *error,
                            gboolean utf8_input);

G_END_DECLS
