/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define VR_ERROR (vr_error_quark ())

/* Errors from a system call keep their errno as the code, in this domain,
 * up to the edge (a D-Bus error, a job's error code, the CLI's exit status),
 * which maps them with vr_error_get_code. */
#define VR_ERRNO_ERROR (vr_errno_error_quark ())

/* The seed's return codes (CIM), used as GError codes in VR_ERROR. */
typedef enum {
  VR_ERROR_COMPLETED = 0,
  VR_ERROR_JOB_STARTED = 4096,
  VR_ERROR_FAILED = 32768,
  VR_ERROR_ACCESS_DENIED = 32769,
  VR_ERROR_NOT_SUPPORTED = 32770,
  VR_ERROR_UNKNOWN = 32771,
  VR_ERROR_TIMEOUT = 32772,
  VR_ERROR_INVALID_PARAMETER = 32773,
  VR_ERROR_IN_USE = 32774,
  VR_ERROR_INVALID_STATE = 32775,
  VR_ERROR_INCORRECT_TYPE = 32776,
  VR_ERROR_NOT_AVAILABLE = 32777,
  VR_ERROR_NO_MEMORY = 32778,
} VrErrorCode;

GQuark vr_error_quark (void);
GQuark vr_errno_error_quark (void);

/* "System is in use" for VR_ERROR_IN_USE; NULL for a code not in the table. */
const char *vr_error_code_describe (int code);

/* "InUse" for VR_ERROR_IN_USE: the suffix of the D-Bus error name. */
const char *vr_error_code_nick (int code);

/* Walks the table: (code, nick) pairs, for registering D-Bus names. */
gboolean vr_error_code_nth (guint n, int *code, const char **nick);

/* "System is in use (32774): message" for an error of any domain; errors
 * of other domains are reported as Failed (32768). */
char *vr_error_format (const GError *error);

/* The seed's code an error stands for: its own in VR_ERROR, a mapped one
 * for errno, GIO and file errors, else VR_ERROR_FAILED. */
int vr_error_get_code (const GError *error);

/* Whether error stands for the seed's code (whatever its domain). */
gboolean vr_error_is (const GError *error, int code);

/* The longest message a job or a planned system keeps, in bytes. */
#define VR_MESSAGE_MAX 4096

/* A copy of message, cut at a character boundary before VR_MESSAGE_MAX
 * bytes with "... (N bytes more)" after it when longer. What a job and a
 * planned system keep goes on the bus, to every local user
 * (GetManagedObjects): an error quoting a caller's 1 MB value must not
 * make that reply pass the bus's message limit. */
char *vr_message_bounded (const char *message);

/* Sets error in VR_ERRNO_ERROR with errsv as its code: "WHAT: strerror". */
void vr_error_set_errno (GError **error, int errsv, const char *format, ...)
  G_GNUC_PRINTF (3, 4);

G_END_DECLS
