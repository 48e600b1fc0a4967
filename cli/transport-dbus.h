/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

G_BEGIN_DECLS

/* The agent (virt-realized) on the bus, or NULL and NotAvailable (32777)
 * when no agent answers there (none running, none activatable). */
VrCliTransport *vr_cli_dbus_transport_new (GBusType bus_type,
                                           GError **error);

/* Whether the agent has a planned system of this name or UUID. */
gboolean vr_cli_dbus_transport_has_planned (VrCliTransport *transport,
                                            const char *key);

G_END_DECLS
