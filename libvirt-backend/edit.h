/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "planned-system.h"
#include "store.h"

G_BEGIN_DECLS

/* ModifySystemSettings on a planned VM: its planned domain XML replaced or
 * patched. An edit is all or nothing: XML that is not well-formed, a
 * changed UUID or an XPath that selects nothing leave the planned system
 * as it was. A planned system a job holds (realize) is refused with
 * VR_ERROR_IN_USE; one being or already realized with
 * VR_ERROR_INVALID_STATE. */

/* Sets what "XPATH=VALUE" selects to VALUE: an attribute's value or an
 * element's text (an element with child elements is refused). A missing
 * attribute is added when XPATH ends in "/@NAME" and the rest selects
 * elements. The first '=' outside brackets and quotes ends the XPath. */
gboolean vr_xml_patch_set (xmlDoc *doc, const char *assignment,
                           GError **error);

/* Removes what xpath selects (elements, attributes, text); not the top
 * element. */
gboolean vr_xml_patch_remove (xmlDoc *doc, const char *xpath, GError **error);

/* Replaces the planned XML of the planned system named key (name or UUID)
 * with xml, saves it and returns the planned system as it now is. */
VrPlannedSystem *vr_edit_replace (VrStore *store,
                                  const char *key,
                                  const char *xml,
                                  gsize len,
                                  GError **error);

/* Applies sets ("XPATH=VALUE") and then removals (XPaths) to the planned
 * XML, in order; either may be NULL. */
VrPlannedSystem *vr_edit_patch (VrStore *store,
                                const char *key,
                                const char *const *sets,
                                const char *const *removes,
                                GError **error);

G_END_DECLS
