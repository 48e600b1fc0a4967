/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libxml/tree.h>

#include "caller-access.h"
#include "findings.h"

G_BEGIN_DECLS

/* The host-access policy: what in a domain XML would give whoever
 * defines it more of the host than a guest of its own needs (QEMU
 * passthrough, security-label overrides, host devices, host paths outside
 * the places a realize makes or carries, foreign emulators, interface
 * scripts). The agent runs as root: through it each is an error unless
 * the caller holds the host-access right; a root user's in-process run
 * gets warnings. Checked on the planned XML and on the save image's own
 * XML, since either may be what libvirt acts on. */

/* A libvirt network of the connection the guest is defined on, as its
 * XML says (virNetworkGetXMLDesc). */
typedef struct {
  const char *name;
  /* <forward mode>: "nat" for a <forward> without one, NULL without
   * <forward> (an isolated network). */
  const char *forward;
  /* <bridge name>, or NULL. */
  const char *bridge;
} VrHostNetwork;

typedef struct {
  /* Absolute directories under which host paths are the caller's own:
   * the planned system's import directory (its carried files). */
  const char *const *allowed_dirs;
  /* The caller's own folders (the import directory) when they are not
   * among allowed_dirs: a path there would be used in place, where the
   * caller can change it after the check (swap a link, make a dangling
   * one), so it is refused with the fix of carrying it (a relative path,
   * copied by --copy-disks). May be NULL. */
  const char *const *inplace_dirs;
  /* libvirt's folders of a running guest (channel sockets, per-domain
   * folders), which a save image's XML names for its devices: allowed
   * like allowed_dirs for sockets and files, never for boot files or the
   * NVRAM (files QEMU loads: another guest's status XML there, fifth
   * review F1). NULL for the planned XML. */
  const char *const *state_dirs;
  /* Where libvirt keeps its guests' data on this host (pools, images,
   * NVRAM, swtpm and save directories): QEMU runs as one user for every
   * guest, so a path there is another guest's disk or state (VR1810). */
  const char *const *storage_dirs;
  /* Where libvirt makes a new NVRAM from its template; may be NULL. */
  const char *nvram_dir;
  /* libvirt's default store of this domain's own name there
   * (NVRAM_DIR/NAME_VARS.fd): the only <nvram> in nvram_dir that is
   * allowed (another name's is another guest's, now or at its first
   * start); NULL allows none there. */
  const char *nvram_own;
  /* The planned system carries its NVRAM: realize puts the copy in place
   * and names it in <nvram>, whatever the planned XML said. */
  gboolean nvram_carried;
  /* Directories firmware, kernels and ROMs may come from; NULL for the
   * distribution's defaults (vr_host_access_firmware_dirs). */
  const char *const *firmware_dirs;
  /* The emulators the host's capabilities list; NULL when unknown (the
   * emulator is then not checked). */
  const char *const *emulators;
  /* TRUE for a path libvirt's storage knows as a volume: another guest's
   * data like storage_dirs; may be NULL. */
  gboolean (*is_volume) (const char *path, gpointer data);
  /* Host bridges guests may join (an <interface type='bridge'>): the
   * administrator's (agent.conf's Bridges) and libvirt networks'; any
   * other is VR1813. May be NULL (none). */
  const char *const *bridges;
  /* The connection's libvirt networks, ending in one with name NULL; an
   * <interface type='network'> may join those that keep the guest off
   * the host's segments (nat, route, isolated) and bridge-mode ones on a
   * bridge the administrator allows (bridges); any other, or one not
   * there, is VR1814. NULL when the connection has no network driver
   * (such an interface cannot start there): not judged. */
  const VrHostNetwork *networks;
  gpointer data;
  /* What each finding is: VR_SEVERITY_ERROR through the agent, else a
   * warning. */
  VrSeverity severity;
  /* TRUE for a running guest's XML (the save image's): libvirt's own
   * records of that run (the network port the guest had) are no ask of
   * the caller's, and realize replaces that XML with the planned one. */
  gboolean running;
  /* Prefixed to each message, e.g. "the save image's XML: "; may be
   * NULL. */
  const char *what;
  /* Who asks, when not this process (the agent's caller); may be NULL.
   * Which finding and message a refused path gets (another guest's data,
   * used in place) is then chosen by where the path leads as the caller
   * could find it (vr_caller_resolve), not by root's realpath(): what
   * they are told says nothing of places they cannot see. Whether a path
   * is allowed is still judged with root's view (a link in a folder
   * hidden from them is followed, and refuses). */
  const VrCaller *caller;
} VrHostAccessPolicy;

/* The directories firmware and boot files may come from when the policy
 * names none (Debian's ovmf, seabios, qemu, ipxe, edk2 packages). */
const char *const *vr_host_access_firmware_dirs (void);

/* Adds one finding (VR18xx) per construct in doc that reaches the host
 * beyond the policy. Besides the constructs it knows, any value that
 * looks like a host path (or a unix: or file: address) in a place the
 * policy neither checks nor knows to be the guest's own is a finding
 * (VR1812): an allow-list, so libvirt's next element is not let through
 * unseen. */
void vr_host_access_check (xmlDoc *doc,
                           const VrHostAccessPolicy *policy,
                           GPtrArray *findings);

/* TRUE when path (absolute) lies inside one of dirs once ".." and
 * symbolic links are resolved, and is no block or character device. */
gboolean vr_host_access_path_inside (const char *path,
                                     const char *const *dirs);

/* The first node in doc where a host path a rule knows (a disk source,
 * a chardev or firmware path, ...) is not absolute, with its value in
 * *value; NULL when there is none. libvirt resolves a relative one
 * against its working directory '/': realize refuses the XML it would
 * define with one (sixth review, F6). */
xmlNode *vr_host_access_find_relative (xmlDoc *doc, char **value);

G_END_DECLS
