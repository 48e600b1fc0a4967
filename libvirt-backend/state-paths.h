/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* Where libvirt's QEMU driver keeps a domain's own state on a local
 * connection (qemu_conf.c, virQEMUDriverConfigNew): NULL for a connection
 * whose files we cannot reach (remote, another driver). */

/* The variable stores: ROOT/lib/qemu/nvram embedded,
 * /var/lib/libvirt/qemu/nvram for qemu:///system,
 * ~/.config/libvirt/qemu/nvram for qemu:///session. */
char *vr_state_nvram_dir (virConnectPtr conn);

/* libvirt's default variable store of domain name: NVRAM_DIR/NAME_VARS.fd. */
char *vr_state_nvram_path (virConnectPtr conn, const char *name);

/* swtpm's states, one folder per domain UUID: ROOT/lib/swtpm embedded,
 * /var/lib/libvirt/swtpm for qemu:///system,
 * ~/.config/libvirt/qemu/swtpm for qemu:///session. */
char *vr_state_swtpm_dir (virConnectPtr conn);

G_END_DECLS
