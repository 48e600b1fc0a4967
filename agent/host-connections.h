/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <libvirt/libvirt.h>

#include "host-caps.h"

G_BEGIN_DECLS

/* The remote libvirt hosts agent.conf lists ([Hosts] NAME=URI): one
 * connection each, opened on a worker when the agent starts and opened
 * again (2 s, then longer, up to a minute) whenever it fails or libvirt
 * closes it, as the daemon does for its own connection. Callers name a
 * host by its name or by its URI exactly as listed; nothing else is ever
 * opened, so a caller cannot make the root agent run qemu+ssh's command=
 * or read a keyfile= of their choosing. Only the main context (the one
 * the table was made in) touches the table. */
typedef struct _VrHostConnections VrHostConnections;

/* Called in the main context each time a host's connection is opened:
 * what an earlier job left there can be rolled back now. */
typedef void (*VrHostConnected) (const char *name,
                                 const char *uri,
                                 gpointer data);

VrHostConnections *vr_host_connections_new (const char *const *names,
                                             const char *const *uris,
                                             VrHostConnected connected,
                                             gpointer data);
/* Closes the connections; a connect still under way closes its own. */
void vr_host_connections_free (VrHostConnections *hosts);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrHostConnections, vr_host_connections_free)

/* The listed URI of host (a listed name or URI), or NULL with
 * VR_ERROR_INVALID_PARAMETER naming option. */
const char *vr_host_connections_resolve (VrHostConnections *hosts,
                                         const char *host,
                                         const char *option,
                                         GError **error);

/* The listed name of host (a listed name or URI), or NULL. */
const char *vr_host_connections_name (VrHostConnections *hosts,
                                      const char *host);

/* A reference on host's current connection and its caps, for a worker;
 * VR_ERROR_NOT_AVAILABLE while it is not connected (the agent keeps
 * trying), VR_ERROR_INVALID_PARAMETER when it is not listed. */
gboolean vr_host_connections_ref (VrHostConnections *hosts,
                                  const char *host,
                                  const char *option,
                                  virConnectPtr *conn,
                                  VrHostCaps **caps,
                                  GError **error);

/* The Manager's Hosts property: a(ss), (name, URI) in agent.conf's
 * order. */
GVariant *vr_host_connections_list (VrHostConnections *hosts);

/* The listed URIs (owned by hosts), in order. */
const char *const *vr_host_connections_uris (VrHostConnections *hosts);

G_END_DECLS
