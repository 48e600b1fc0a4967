/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cli.h"

G_BEGIN_DECLS

/* The backend in this process, on cli's state directory and connection. */
VrCliTransport *vr_cli_direct_transport_new (const VrCli *cli);

G_END_DECLS
