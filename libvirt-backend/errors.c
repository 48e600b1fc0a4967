/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "errors.h"

#include <errno.h>
#include <string.h>
#include <gio/gio.h>

G_DEFINE_QUARK (vr-error-quark, vr_error)
G_DEFINE_QUARK (vr-errno-error-quark, vr_errno_error)

static const struct {
  int code;
  const char *nick;
  const char *text;
} codes[] = {
  { VR_ERROR_COMPLETED, "Completed", "Completed with no error" },
  { VR_ERROR_JOB_STARTED, "JobStarted", "Method parameters checked - job started" },
  { VR_ERROR_FAILED, "Failed", "Failed" },
  { VR_ERROR_ACCESS_DENIED, "AccessDenied", "Access denied" },
  { VR_ERROR_NOT_SUPPORTED, "NotSupported", "Not supported" },
  { VR_ERROR_UNKNOWN, "Unknown", "Status is unknown" },
  { VR_ERROR_TIMEOUT, "Timeout", "Timeout" },
  { VR_ERROR_INVALID_PARAMETER, "InvalidParameter", "Invalid parameter" },
  { VR_ERROR_IN_USE, "InUse", "System is in use" },
  { VR_ERROR_INVALID_STATE, "InvalidState", "Invalid state for this operation" },
  { VR_ERROR_INCORRECT_TYPE, "IncorrectType", "Incorrect data type" },
  { VR_ERROR_NOT_AVAILABLE, "NotAvailable", "System is not available" },
  { VR_ERROR_NO_MEMORY, "NoMemory", "Out of memory" },
};

const char *
vr_error_code_describe (int code)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (codes[i].code == code)
      return codes[i].text;
  return NULL;
}

const char *
vr_error_code_nick (int code)
{
  for (guint i = 0; i < G_N_ELEMENTS (codes); i++)
    if (codes[i].code == code)
      return codes[i].nick;
  return NULL;
}

gboolean
vr_error_code_nth (guint n, int *code, const char **nick)
{
  if (n >= G_N_ELEMENTS (codes))
    return FALSE;
  *code = codes[n].code;
  *nick = codes[n].nick;
  return TRUE;
}

/* A GIO or file error keeps its own domain and code up to the edge (the
 * agent's D-Bus error, a job's error code, the CLI's exit status), which
 * maps it here: the same code as the errno it comes from
 * (tests/test-errors.c, /errors/io-errno-agree). */
static int
code_from_io_error (int io_code)
{
  switch (io_code)
    {
    case G_IO_ERROR_NOT_FOUND:
    case G_IO_ERROR_INVALID_ARGUMENT:
    case G_IO_ERROR_NOT_REGULAR_FILE:
    case G_IO_ERROR_IS_DIRECTORY:
    case G_IO_ERROR_NOT_DIRECTORY:
    case G_IO_ERROR_TOO_MANY_LINKS:
    case G_IO_ERROR_FILENAME_TOO_LONG:
    case G_IO_ERROR_INVALID_FILENAME:
      return VR_ERROR_INVALID_PARAMETER;
    case G_IO_ERROR_PERMISSION_DENIED:
    case G_IO_ERROR_READ_ONLY:
      return VR_ERROR_ACCESS_DENIED;
    case G_IO_ERROR_NOT_SUPPORTED:
      return VR_ERROR_NOT_SUPPORTED;
    case G_IO_ERROR_TIMED_OUT:
      return VR_ERROR_TIMEOUT;
    case G_IO_ERROR_BUSY:
    case G_IO_ERROR_EXISTS:
    case G_IO_ERROR_NOT_EMPTY:
    case G_IO_ERROR_WOULD_BLOCK:
      return VR_ERROR_IN_USE;
    case G_IO_ERROR_CANCELLED:
      return VR_ERROR_FAILED;
    default:
      return VR_ERROR_FAILED;
    }
}

static int
code_from_errno (int errsv)
{
  switch (errsv)
    {
    case EACCES:
    case EPERM:
    case EROFS:
      return VR_ERROR_ACCESS_DENIED;
    case ENOMEM:
      return VR_ERROR_NO_MEMORY;
    case EBUSY:
    case EEXIST:
    case ENOTEMPTY:
    case EWOULDBLOCK:
      return VR_ERROR_IN_USE;
    case ETIMEDOUT:
      return VR_ERROR_TIMEOUT;
    case EOPNOTSUPP:
      return VR_ERROR_NOT_SUPPORTED;
    case ENOENT:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EINVAL:
    case EXDEV:
      return VR_ERROR_INVALID_PARAMETER;
    default:
      return VR_ERROR_FAILED;
    }
}

int
vr_error_get_code (const GError *error)
{
  if (error == NULL)
    return VR_ERROR_COMPLETED;
  if (error->domain == VR_ERROR)
    return error->code;
  if (error->domain == VR_ERRNO_ERROR)
    return code_from_errno (error->code);
  if (error->domain == G_IO_ERROR)
    return code_from_io_error (error->code);
  if (error->domain == G_FILE_ERROR)
    return code_from_io_error (g_io_error_from_file_error (error->code));
  return VR_ERROR_FAILED;
}

gboolean
vr_error_is (const GError *error, int code)
{
  return error != NULL && vr_error_get_code (error) == code;
}

char *
vr_error_format (const GError *error)
{
  int code = vr_error_get_code (error);
  const char *text = vr_error_code_describe (code);

  return g_strdup_printf ("%s (%d): %s", text ? text : "Failed", code,
                          error->message);
}

void
vr_error_set_errno (GError **error, int errsv, const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, VR_ERRNO_ERROR, errsv, "%s: %s", what,
               g_strerror (errsv));
}

char *
vr_message_bounded (const char *message)
{
  const char *end;

  if (message == NULL)
    return NULL;
  if (strnlen (message, VR_MESSAGE_MAX + 1) <= VR_MESSAGE_MAX)
    return g_strdup (message);
  end = message + VR_MESSAGE_MAX - 64;
  while (end > message && ((guchar) *end & 0xC0) == 0x80)
    end--;
  return g_strdup_printf ("%.*s... (%zu bytes more)", (int) (end - message),
                          message, strlen (end));
}
