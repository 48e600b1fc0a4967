/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "domain-bounds.h"

#include "errors.h"

/* The elements below root (not root itself); stops past max.
 * Iterative, so a deep document cannot exhaust the stack. */
static guint
count_elements_below (xmlNode *root, guint max)
{
  xmlNode *node = root->children;
  guint n = 0;

  while (node != NULL && n <= max)
    {
      if (node->type == XML_ELEMENT_NODE)
        n++;
      if (node->type == XML_ELEMENT_NODE && node->children != NULL)
        {
          node = node->children;
          continue;
        }
      while (node != root && node->next == NULL)
        node = node->parent;
      node = node == root ? NULL : node->next;
    }
  return n;
}

static guint
count_devices (xmlNode *root)
{
  guint n = 0;

  for (xmlNode *child = root ? root->children : NULL; child != NULL;
       child = child->next)
    if (child->type == XML_ELEMENT_NODE
        && xmlStrEqual (child->name, (const xmlChar *) "devices"))
      for (xmlNode *device = child->children; device != NULL;
           device = device->next)
        if (device->type == XML_ELEMENT_NODE)
          n++;
  return n;
}

gboolean
vr_domain_bounds_check (xmlDoc *doc, const char *what, GError **error)
{
  xmlNode *root = xmlDocGetRootElement (doc);
  guint devices = count_devices (root);
  guint elements;

  if (devices > VR_DOMAIN_MAX_DEVICES)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: %u devices in /domain/devices, more than the %u "
                   "virt-realize checks (no real guest has so many)",
                   what, devices, VR_DOMAIN_MAX_DEVICES);
      return FALSE;
    }
  elements = root ? 1 + count_elements_below (root, VR_DOMAIN_MAX_ELEMENTS)
                  : 0;
  if (elements > VR_DOMAIN_MAX_ELEMENTS)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: more than %u XML elements, the most virt-realize "
                   "checks (no real guest has so many)", what,
                   VR_DOMAIN_MAX_ELEMENTS);
      return FALSE;
    }
  return TRUE;
}
