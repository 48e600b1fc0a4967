/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "idle-trim.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* A line of /proc/self/maps: "start-end perms offset dev inode path". */
static gboolean
read_only_file_mapping (const char *line, guintptr *start, guintptr *end)
{
  char perms[5] = "";
  int path_at = 0;

  if (sscanf (line, "%" G_GINTPTR_MODIFIER "x-%" G_GINTPTR_MODIFIER
                    "x %4s %*s %*s %*s %n",
              start, end, perms, &path_at) != 3
      || path_at == 0)
    return FALSE;
  /* Writable mappings hold data the agent changes; anything not a file
   * ([heap], [stack], [vdso]) is not the loader's. */
  return perms[1] != 'w' && line[path_at] == '/';
}

gsize
vr_idle_trim (void)
{
  g_autofree char *maps = NULL;
  g_auto (GStrv) lines = NULL;
  gsize advised = 0;

  malloc_trim (0);
  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return 0;
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guintptr start;
      guintptr end;

      if (!read_only_file_mapping (lines[i], &start, &end))
        continue;
      /* Kernels before 5.4 know no MADV_PAGEOUT: nothing to hand back. */
      if (madvise ((void *) start, end - start, MADV_PAGEOUT) < 0)
        break;
      advised += end - start;
    }
  return advised;
}
