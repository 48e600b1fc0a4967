/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "safe-xml.h"

G_BEGIN_DECLS

/* How much of a domain XML validation and the host-access policy will
 * look at: far above any real guest (libvirt's own XML of a large guest
 * has a few hundred elements), far below what makes root's XPath work
 * quadratic (seventh review F4: 40,000 disks cost 30-48 s of CPU). */
#define VR_DOMAIN_MAX_DEVICES 1024
#define VR_DOMAIN_MAX_ELEMENTS VR_XML_MAX_DOMAIN_ELEMENTS

/* Whether doc stays within both bounds; else VR_ERROR_INVALID_PARAMETER
 * (32773) naming what (a file or "the save image's XML"), the count
 * and the bound. Counting stops at the first bound passed: it is linear
 * in the bound, not in the document. */
gboolean vr_domain_bounds_check (xmlDoc *doc, const char *what,
                                 GError **error);

G_END_DECLS
