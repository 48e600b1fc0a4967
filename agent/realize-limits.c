/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-limits.h"

#include <libvirt/virterror.h>

#include "errors.h"

static gboolean
counts (VrPlannedSystem *system, guint uid)
{
  VrPlannedState state = vr_planned_system_get_state (system);
  guint owner = 0;

  return (state == VR_PLANNED_STATE_REALIZED
          || state == VR_PLANNED_STATE_REALIZING)
         && vr_planned_system_get_owner (system, &owner) && owner == uid;
}

static guint64
host_memory_mib (virConnectPtr conn)
{
  virNodeInfo info;

  if (conn == NULL)
    return G_MAXUINT64;
  if (virNodeGetInfo (conn, &info) < 0)
    {
      virResetLastError ();
      return G_MAXUINT64;
    }
  return info.memory / 1024;
}

gboolean
vr_realize_limits_check (const VrRealizeLimits *limits, VrStore *store,
                         virConnectPtr conn, VrPlannedSystem *system,
                         guint uid, const char *config_path, GError **error)
{
  g_autoptr (GPtrArray) all = NULL;
  guint64 max_mib = limits->max_memory_mib;
  guint64 used_mib = 0;
  guint domains = 0;
  const char *uuid = vr_planned_system_get_uuid (system);

  if (uid == 0)
    return TRUE;
  all = vr_store_list (store, error);
  if (all == NULL)
    return FALSE;
  for (guint i = 0; i < all->len; i++)
    if (!g_str_equal (vr_planned_system_get_uuid (all->pdata[i]), uuid)
        && counts (all->pdata[i], uid))
      {
        domains++;
        used_mib += vr_planned_system_get_memory_kib (all->pdata[i]) / 1024;
      }
  if (max_mib == 0)
    max_mib = host_memory_mib (conn);
  if (domains + 1 > limits->max_domains)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "uid %u has %u realized planned systems, the most %s "
                   "allows one user (MaxDomainsPerUser=%u): destroy one "
                   "first, or ask an administrator", uid, domains,
                   config_path ? config_path : "agent.conf",
                   limits->max_domains);
      return FALSE;
    }
  used_mib += vr_planned_system_get_memory_kib (system) / 1024;
  if (used_mib > max_mib)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "uid %u would have %" G_GUINT64_FORMAT " MiB of guest "
                   "memory realized, more than %s allows one user "
                   "(MaxMemoryPerUser=%" G_GUINT64_FORMAT " MiB%s)", uid,
                   used_mib, config_path ? config_path : "agent.conf",
                   max_mib, limits->max_memory_mib ? "" : ", the host's");
      return FALSE;
    }
  return TRUE;
}
