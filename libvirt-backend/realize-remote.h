/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "realize-journal.h"

G_BEGIN_DECLS

/* Whether conn reaches libvirt through a transport (qemu+unix, +tcp,
 * +ssh, +tls…) or on another host: then nothing of that libvirt's host is
 * a file here, and a realize works through its storage API. */
gboolean vr_connection_is_remote (virConnectPtr conn);

/* The same for a URI's text (NULL: libvirt's default, this host's). */
gboolean vr_uri_is_remote (const char *uri);

/* Whether conn's URI names a host (qemu+ssh://HOST/…, qemu+tcp://…): a
 * libvirt that this host's folders are not a file of, unlike a daemon
 * behind a local socket (qemu+unix), whose --pool-dir may be shared. */
gboolean vr_connection_names_host (virConnectPtr conn);

/* Deletes the volumes the journal says the job made in the remote pool,
 * each only while its name still has the key the job saw. FALSE when the
 * remote libvirt cannot be asked (the undo must be run again later). */
gboolean vr_realize_undo_volumes (virConnectPtr conn,
                                  const VrRealizeJournal *journal,
                                  GError **error);

/* The connection undo uses for journal: conn (a new reference) unless the
 * journal's job worked on another libvirt, which is then opened; NULL
 * when it cannot be. */
virConnectPtr vr_realize_undo_connection (virConnectPtr conn,
                                          const VrRealizeJournal *journal);

G_END_DECLS
