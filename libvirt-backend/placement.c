/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Placement: which of several libvirt hosts a planned system fits on, and
 * the one to realize onto. Each host is validated over its own
 * connection, as a realize onto it would be. */
#include "config.h"

#include "placement.h"

#include "domain-xml.h"
#include "findings.h"
#include "host-caps.h"
#include "libvirt-util.h"
#include "validate.h"

void
vr_placement_host_free (VrPlacementHost *host)
{
  if (host == NULL)
    return;
  g_free (host->uri);
  g_free (host->blocking);
  g_free (host);
}

static char *
blocking_findings (GPtrArray *findings)
{
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (finding->severity == VR_SEVERITY_ERROR)
        g_string_append_printf (text, "%s%s %s", text->len ? "; " : "",
                                finding->id, finding->message);
    }
  return text->len ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

/* A realize restores the guest (at once, or at its next start): its
 * memory must be free there, not merely installed. Sized as validate and
 * the agent's limits size it (NUMA cells, hotplug DIMMs, video RAM, a
 * TCG cache on top of <memory>), not from <memory> alone. */
static char *
memory_shortfall (VrPlannedSystem *system, guint64 free_memory)
{
  guint64 kib = vr_domain_xml_get_memory_bound_kib (
      vr_planned_system_get_doc (system));
  guint64 wanted = kib > G_MAXUINT64 / 1024 ? G_MAXUINT64 : kib * 1024;
  g_autofree char *need = NULL;
  g_autofree char *have = NULL;

  if (wanted <= free_memory)
    return NULL;
  need = g_format_size_full (wanted, G_FORMAT_SIZE_IEC_UNITS);
  have = g_format_size_full (free_memory, G_FORMAT_SIZE_IEC_UNITS);
  return g_strdup_printf ("needs %s of memory, %s free", need, have);
}

void
vr_placement_check_on (VrPlacementHost *host, virConnectPtr conn,
                       VrHostCaps *caps, VrStore *store,
                       VrPlannedSystem *system,
                       const VrValidateOptions *options, gboolean copy_disks)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  virNodeInfo info;
  g_autofree char *memory = NULL;

  host->reachable = TRUE;
  host->free_memory = virNodeGetFreeMemory (conn);
  if (virNodeGetInfo (conn, &info) == 0)
    host->cpus = info.cpus;
  findings = vr_validate_planned_with (caps, store, system, options, &error);
  if (findings == NULL)
    {
      host->blocking = g_strdup (error->message);
      return;
    }
  if (copy_disks)
    vr_findings_remove_id (findings, VR_FINDING_DISK_IN_IMPORT);
  host->blocking = blocking_findings (findings);
  memory = memory_shortfall (system, host->free_memory);
  if (memory != NULL)
    {
      char *both = host->blocking
                       ? g_strdup_printf ("%s; %s", host->blocking, memory)
                       : g_strdup (memory);

      g_free (host->blocking);
      host->blocking = both;
    }
  host->fits = host->blocking == NULL;
}

void
vr_placement_unreachable (VrPlacementHost *host, const char *why)
{
  g_free (host->blocking);
  host->blocking = g_strdup_printf ("not reachable: %s", why);
}

VrPlacementHost *
vr_placement_host_new (const char *uri)
{
  VrPlacementHost *host = g_new0 (VrPlacementHost, 1);

  host->uri = g_strdup (uri);
  return host;
}

static void
check_host (VrPlacementHost *host, VrStore *store, VrPlannedSystem *system,
            gboolean copy_disks, gboolean host_access_allowed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open (host->uri, &error);
  g_autoptr (VrHostCaps) caps = NULL;
  VrValidateOptions options = { .host_access_allowed = host_access_allowed };

  if (conn == NULL)
    {
      vr_placement_unreachable (host, error->message);
      return;
    }
  caps = vr_host_caps_new (conn);
  vr_placement_check_on (host, conn, caps, store, system, &options,
                         copy_disks);
}

GPtrArray *
vr_placement_check (VrStore *store, VrPlannedSystem *system,
                    const char *const *uris, gboolean copy_disks,
                    gboolean host_access_allowed)
{
  GPtrArray *hosts = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_placement_host_free);

  for (guint i = 0; uris != NULL && uris[i] != NULL; i++)
    {
      VrPlacementHost *host = vr_placement_host_new (uris[i]);

      g_ptr_array_add (hosts, host);
      check_host (host, store, system, copy_disks, host_access_allowed);
    }
  return hosts;
}

int
vr_placement_choose (GPtrArray *hosts)
{
  int best = -1;

  for (guint i = 0; i < hosts->len; i++)
    {
      VrPlacementHost *host = hosts->pdata[i];

      if (host->fits
          && (best < 0
              || host->free_memory
                     > ((VrPlacementHost *) hosts->pdata[best])->free_memory))
        best = i;
    }
  return best;
}
