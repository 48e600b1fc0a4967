/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A MAC address another defined domain already has: libvirt defines both,
 * and on a shared network the second guest takes the first one's traffic
 * and DHCP reservation (eighth review, F2). */
#include "config.h"

#include <string.h>

#include "libvirt-util.h"
#include "validate-private.h"

#define SET_MAC "remove the <mac> element (libvirt picks a new one) or set " \
                "another"
/* The saved state resumes only with the MAC it was saved with. */
#define KEEP_MAC "to keep this MAC, change or undefine the other domain's " \
                 "interface"

/* A defined domain's XML comes from the connection: parsed as untrusted
 * all the same (another user may have defined it). *gone: it was
 * undefined since the listing, which is no failure. */
static xmlDoc *
parse_domain (virDomainPtr dom, gboolean *gone)
{
  g_autofree char *xml = virDomainGetXMLDesc (dom, 0);
  g_autoptr (GError) error = NULL;
  virErrorPtr err;

  if (xml == NULL)
    {
      err = virGetLastError ();
      *gone = err != NULL && err->code == VIR_ERR_NO_DOMAIN;
      return NULL;
    }
  return vr_xml_parse_buffer (xml, strlen (xml), virDomainGetName (dom),
                              "domain", &error);
}

static void
report (VrValidation *v, xmlNode *address, const char *mac,
        virDomainPtr dom, const char *uuid)
{
  g_autofree char *hint = vr_validation_hint_afresh (v, KEEP_MAC, SET_MAC);

  vr_validation_add (v, VR_FINDING_MAC_TAKEN, address, hint,
                     "MAC address %s is already used by domain '%s' (UUID "
                     "%s) on this host", mac, virDomainGetName (dom), uuid);
}

/* Each planned <mac address> that one of dom's interfaces has. */
static void
compare (VrValidation *v, xmlNodeSet *planned, virDomainPtr dom,
         const char *uuid, xmlDoc *other)
{
  xmlNode *devices = vr_doc_element (other, "devices", NULL);

  for (xmlNode *n = devices ? devices->children : NULL; n; n = n->next)
    {
      g_autofree char *mac = NULL;

      if (n->type != XML_ELEMENT_NODE
          || !xmlStrEqual (n->name, (const xmlChar *) "interface"))
        continue;
      mac = vr_node_attr (vr_node_child (n, "mac"), "address");
      for (int i = 0; mac != NULL && i < planned->nodeNr; i++)
        {
          g_autofree char *own = (char *) xmlNodeGetContent (
              planned->nodeTab[i]);

          if (own != NULL && g_ascii_strcasecmp (own, mac) == 0)
            report (v, planned->nodeTab[i], own, dom, uuid);
        }
    }
}

static void
check_domain (VrValidation *v, xmlNodeSet *planned, virDomainPtr dom)
{
  char uuid[VIR_UUID_STRING_BUFLEN];
  g_autoptr (xmlDoc) other = NULL;
  gboolean gone = FALSE;

  if (virDomainGetUUIDString (dom, uuid) < 0)
    {
      vr_validation_skip (v, "MAC addresses of defined domains");
      return;
    }
  /* This guest itself (a re-realize, or the same UUID, VR1602). */
  if (v->uuid != NULL && g_ascii_strcasecmp (uuid, v->uuid) == 0)
    return;
  other = parse_domain (dom, &gone);
  if (other == NULL && !gone)
    vr_validation_skip (v, "MAC addresses of defined domains");
  if (other == NULL)
    return;
  compare (v, planned, dom, uuid, other);
}

void
vr_validate_mac_conflicts (VrValidation *v)
{
  g_autoptr (xmlXPathObject) macs = vr_validation_select (
      v, "/domain/devices/interface/mac/@address");
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  virDomainPtr *doms = NULL;
  int n;

  /* Most planned XML has no <mac>: then no listing at all. */
  if (macs == NULL || macs->nodesetval == NULL
      || macs->nodesetval->nodeNr == 0)
    return;
  n = virConnectListAllDomains (conn, &doms, 0);
  if (n < 0)
    {
      vr_validation_skip (v, "MAC addresses of defined domains");
      return;
    }
  for (int i = 0; i < n; i++)
    {
      check_domain (v, macs->nodesetval, doms[i]);
      virDomainFree (doms[i]);
    }
  g_free (doms);
}
