/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "agent-context.h"
#include "vr-dbus-generated.h"

G_BEGIN_DECLS

/* Manager.ValidateDefinition: a domain XML file the caller opened, checked
 * on a worker thread (virt-realize validate FILE.xml through the agent). */
gboolean
vr_manager_handle_validate_definition (VrDBusManager *iface,
                                       GDBusMethodInvocation *invocation,
                                       GUnixFDList *fd_list, GVariant *file_fd,
                                       GVariant *options, gpointer context);

G_END_DECLS
