/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "sealed-file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"

#define ALL_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static gboolean
write_all (int fd, const char *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= (gsize) n;
    }
  return TRUE;
}

int
vr_sealed_file_new (const char *name, const void *data, gsize size,
                    GError **error)
{
  int fd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot make a memfd for %s", name);
      return -1;
    }
  if (!write_all (fd, data, size) || fcntl (fd, F_ADD_SEALS, ALL_SEALS) < 0)
    {
      vr_error_set_errno (error, errno, "cannot fill and seal the memfd for "
                          "%s", name);
      close (fd);
      return -1;
    }
  return fd;
}
