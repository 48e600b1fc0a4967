/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Devices against what the host's domain capabilities list. */
#include "config.h"

#include <unistd.h>

#include "libvirt-util.h"
#include "validate-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virNodeDevice, virNodeDeviceFree)

/* An attribute whose values the domain capabilities enumerate. */
typedef struct {
  const char *xpath;     /* selects the attributes */
  const char *key;       /* the enum */
  const char *id;
  const char *what;
  const char *preferred; /* suggested when the host offers it */
} EnumCheck;

static const EnumCheck enum_checks[] = {
  { "/domain/devices/disk/target/@bus", "devices/disk/bus",
    VR_FINDING_DISK_BUS, "disk bus", "virtio" },
  { "/domain/devices/disk/@device", "devices/disk/diskDevice",
    VR_FINDING_DISK_DEVICE, "disk device type", "disk" },
  { "/domain/devices/video/model/@type", "devices/video/modelType",
    VR_FINDING_VIDEO, "video model", "virtio" },
  { "/domain/devices/graphics/@type", "devices/graphics/type",
    VR_FINDING_GRAPHICS, "graphics type", "vnc" },
  { "/domain/devices/hostdev[not(@mode) or @mode='subsystem']/@type",
    "devices/hostdev/subsysType", VR_FINDING_HOSTDEV_TYPE,
    "host device type", NULL },
};

static char *
suggestion_hint (VrValidation *v, const EnumCheck *check, xmlNode *attr)
{
  GPtrArray *values = vr_domain_caps_get_enum (v->dcaps, check->key);
  g_autofree char *xpath = vr_node_xpath (attr);
  const char *value = NULL;

  if (check->preferred != NULL
      && vr_domain_caps_enum_has (v->dcaps, check->key, check->preferred)
             == VR_SUPPORT_YES)
    value = check->preferred;
  else if (check->preferred != NULL && values != NULL && values->len > 0)
    value = values->pdata[0];
  if (value != NULL)
    return vr_validation_hint_set (v, xpath, value);
  /* Nothing to change it to: the device goes. */
  g_free (xpath);
  xpath = vr_node_xpath (attr->parent);
  return vr_validation_hint_remove (v, xpath);
}

static void
check_enum (VrValidation *v, const EnumCheck *check)
{
  g_autoptr (xmlXPathObject) obj = vr_validation_select (v, check->xpath);
  g_autofree char *offered = vr_domain_caps_enum_join (v->dcaps, check->key);

  for (int i = 0; obj && i < obj->nodesetval->nodeNr; i++)
    {
      xmlNode *attr = obj->nodesetval->nodeTab[i];
      g_autofree char *value = vr_node_string (attr, "string(.)");
      g_autofree char *hint = NULL;

      if (vr_domain_caps_enum_has (v->dcaps, check->key, value)
          != VR_SUPPORT_NO)
        continue;
      hint = suggestion_hint (v, check, attr);
      vr_validation_add (v, check->id, attr, hint,
                         "%s '%s' is not supported by %s (it supports: %s)",
                         check->what, value, v->emulator,
                         offered ? offered : "none");
    }
}

static guint
hex_attr (xmlNode *node, const char *expr)
{
  g_autofree char *text = vr_node_string (node, expr);

  return text ? (guint) g_ascii_strtoull (text, NULL, 0) : 0;
}

/* A PCI device is known to libvirt's node devices by its address. */
static char *
pci_presence (VrValidation *v, xmlNode *hostdev, char **address)
{
  guint domain = hex_attr (hostdev, "string(source/address/@domain)");
  guint bus = hex_attr (hostdev, "string(source/address/@bus)");
  guint slot = hex_attr (hostdev, "string(source/address/@slot)");
  guint function = hex_attr (hostdev, "string(source/address/@function)");
  g_autofree char *name = g_strdup_printf ("pci_%04x_%02x_%02x_%x", domain,
                                           bus, slot, function);
  g_autoptr (virNodeDevice) dev = virNodeDeviceLookupByName (
      vr_host_caps_get_connection (v->caps), name);
  virErrorPtr err = dev ? NULL : virGetLastError ();

  *address = g_strdup_printf ("PCI device %04x:%02x:%02x.%x", domain, bus,
                              slot, function);
  if (dev != NULL)
    return NULL;
  if (err != NULL && err->code == VIR_ERR_NO_NODE_DEVICE)
    return g_strdup ("this host has no such device");
  return g_strdup ("this connection cannot list the host's devices");
}

static void
check_hostdev (VrValidation *v, xmlNode *hostdev)
{
  g_autofree char *type = vr_node_string (hostdev, "string(@type)");
  g_autofree char *xpath = vr_node_xpath (hostdev);
  g_autofree char *remove = vr_validation_hint_remove (v, xpath);
  g_autofree char *hint = g_strdup_printf ("%s, then attach this host's "
                                           "own device after realize "
                                           "(virsh attach-device)", remove);
  g_autofree char *what = NULL;
  g_autofree char *why = NULL;

  if (g_strcmp0 (type, "pci") == 0)
    {
      why = pci_presence (v, hostdev, &what);
      if (why == NULL)
        return;
    }
  else
    what = g_strdup_printf ("%s host device", type ? type : "a");
  vr_validation_add (v, VR_FINDING_HOSTDEV, hostdev, hint,
                     "%s is passed through from the host the VM was "
                     "exported from%s%s", what, why ? ", and " : "",
                     why ? why : "");
}

void
vr_validate_devices (VrValidation *v)
{
  g_autoptr (xmlXPathObject) hostdevs = vr_validation_select (
      v, "/domain/devices/hostdev");

  for (int i = 0; hostdevs && i < hostdevs->nodesetval->nodeNr; i++)
    check_hostdev (v, hostdevs->nodesetval->nodeTab[i]);
  /* Without domain capabilities the skipped checks are already named. */
  if (!v->platform_ok || v->dcaps == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (enum_checks); i++)
    check_enum (v, &enum_checks[i]);
}
