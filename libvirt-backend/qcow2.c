/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "qcow2.h"

#include <string.h>
#include <unistd.h>

#include "errors.h"

/* qcow2's header, big-endian: magic, version, backing file offset and
 * size, then at 24 the virtual size; from version 3 the incompatible features at 72, where bit 2 is
 * an external data file. */
#define QCOW2_MAGIC "QFI\xfb"
#define QCOW2_HEADER_V3_SIZE 80
#define QCOW2_INCOMPAT_DATA_FILE (G_GUINT64_CONSTANT (1) << 2)
#define QCOW2_BACKING_NAME_MAX 1023

void
vr_qcow2_info_clear (VrQcow2Info *info)
{
  g_clear_pointer (&info->backing, g_free);
}

static guint64
read_be64 (const guchar *p)
{
  guint64 value;

  memcpy (&value, p, sizeof value);
  return GUINT64_FROM_BE (value);
}

static guint32
read_be32 (const guchar *p)
{
  guint32 value;

  memcpy (&value, p, sizeof value);
  return GUINT32_FROM_BE (value);
}

static char *
backing_name (int fd, const guchar *header)
{
  guint64 offset = read_be64 (header + 8);
  guint32 size = MIN (read_be32 (header + 16), QCOW2_BACKING_NAME_MAX);
  char name[QCOW2_BACKING_NAME_MAX + 1] = { 0 };
  ssize_t n = pread (fd, name, size, offset);

  return g_strdup (n > 0 ? name : "?");
}

void
vr_qcow2_read (int fd, VrQcow2Info *info)
{
  guchar header[QCOW2_HEADER_V3_SIZE] = { 0 };
  ssize_t n = pread (fd, header, sizeof header, 0);

  memset (info, 0, sizeof *info);
  if (n < 20 || memcmp (header, QCOW2_MAGIC, 4) != 0)
    return;
  info->is_qcow2 = TRUE;
  if (n >= 32)
    info->virtual_size = read_be64 (header + 24);
  if (read_be64 (header + 8) != 0)
    info->backing = backing_name (fd, header);
  info->data_file = read_be32 (header + 4) >= 3 && n >= QCOW2_HEADER_V3_SIZE
                    && (read_be64 (header + 72) & QCOW2_INCOMPAT_DATA_FILE);
}

const char *
vr_qcow2_format_of (int fd)
{
  char magic[4] = { 0 };

  return pread (fd, magic, sizeof magic, 0) == 4
                 && memcmp (magic, QCOW2_MAGIC, 4) == 0
             ? "qcow2"
             : "raw";
}

gboolean
vr_qcow2_set_backing (const char *path, const char *backing,
                      const char *backing_format, GError **error)
{
  const char *argv[] = { "qemu-img", "rebase", "-u", "-F", backing_format,
                         "-b",       backing,  path, NULL };
  g_autofree char *err = NULL;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                     NULL, NULL, &err, &status, error))
    return FALSE;
  if (g_spawn_check_wait_status (status, NULL))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_FAILED,
               "cannot point %s at its backing file %s: qemu-img rebase: %s",
               path, backing, g_strstrip (err));
  return FALSE;
}
