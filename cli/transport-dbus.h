/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

G_BEGIN_DECLS

/* The agent (virt-realized) on the bus. With probe, NULL and
 * NotAvailable (32777) when no agent answers there (none running, none
 * activatable); without, the first call says so with the same error. */
VrCliTransport *vr_cli_dbus_transport_new (GBusType bus_type,
                                           gboolean probe, GError **error);

G_END_DECLS
