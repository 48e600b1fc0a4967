/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realized-domain.h"

#include "libvirt-util.h"

const char *
vr_domain_presence_to_string (VrDomainPresence presence)
{
  switch (presence)
    {
    case VR_DOMAIN_PRESENCE_DEFINED:
      return "defined";
    case VR_DOMAIN_PRESENCE_UNDEFINED:
      return "undefined";
    case VR_DOMAIN_PRESENCE_UNKNOWN:
    default:
      return "unknown";
    }
}

/* The recorded URI is what virConnectGetURI said at realize: compared
 * the same way, an embedded root or a remote host other than conn's is
 * never asked about a domain it does not hold. */
static gboolean
realized_on (virConnectPtr conn, VrPlannedSystem *system)
{
  const char *recorded = vr_planned_system_get_connection (system);
  g_autofree char *uri = NULL;
  char *raw;

  if (recorded == NULL
      || vr_planned_system_get_state (system) != VR_PLANNED_STATE_REALIZED)
    return FALSE;
  raw = virConnectGetURI (conn);
  uri = g_strdup (raw);
  free (raw);
  return g_strcmp0 (uri, recorded) == 0;
}

gboolean
vr_realized_domain_presence (virConnectPtr conn, VrPlannedSystem *system,
                             VrDomainPresence *presence, GError **error)
{
  g_autoptr (virDomain) domain = NULL;

  *presence = VR_DOMAIN_PRESENCE_UNKNOWN;
  if (!realized_on (conn, system))
    return TRUE;
  domain = virDomainLookupByUUIDString (conn,
                                        vr_planned_system_get_uuid (system));
  if (domain != NULL)
    {
      *presence = VR_DOMAIN_PRESENCE_DEFINED;
      return TRUE;
    }
  if (virGetLastErrorCode () == VIR_ERR_NO_DOMAIN)
    {
      *presence = VR_DOMAIN_PRESENCE_UNDEFINED;
      return TRUE;
    }
  vr_libvirt_set_error (error, "cannot look up domain %s",
                        vr_planned_system_get_uuid (system));
  return FALSE;
}
