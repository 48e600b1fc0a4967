/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "state-paths.h"

#include <string.h>

#include "handoff.h"

/* Every one of them is a sibling of the managed-save directory, which
 * handoff.c finds: .../qemu/save -> .../qemu/nvram. */
char *
vr_state_nvram_dir (virConnectPtr conn)
{
  g_autofree char *save_dir = vr_handoff_save_dir (conn);
  g_autofree char *qemu_dir = NULL;

  if (save_dir == NULL)
    return NULL;
  qemu_dir = g_path_get_dirname (save_dir);
  return g_build_filename (qemu_dir, "nvram", NULL);
}

char *
vr_state_nvram_path (virConnectPtr conn, const char *name)
{
  g_autofree char *dir = vr_state_nvram_dir (conn);
  g_autofree char *file = g_strdup_printf ("%s_VARS.fd", name);

  return dir ? g_build_filename (dir, file, NULL) : NULL;
}

static gboolean
is_session (virConnectPtr conn)
{
  g_autofree char *uri = virConnectGetURI (conn);

  return uri != NULL && strstr (uri, ":///session") != NULL;
}

/* Session: CONFIG/libvirt/qemu/swtpm beside qemu/save; the others keep it
 * one level up: ROOT/lib/swtpm beside ROOT/lib/qemu. */
char *
vr_state_swtpm_dir (virConnectPtr conn)
{
  g_autofree char *save_dir = vr_handoff_save_dir (conn);
  g_autofree char *qemu_dir = NULL;
  g_autofree char *lib_dir = NULL;

  if (save_dir == NULL)
    return NULL;
  qemu_dir = g_path_get_dirname (save_dir);
  if (is_session (conn))
    return g_build_filename (qemu_dir, "swtpm", NULL);
  lib_dir = g_path_get_dirname (qemu_dir);
  return g_build_filename (lib_dir, "swtpm", NULL);
}
