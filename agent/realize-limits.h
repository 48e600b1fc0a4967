/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "import-dir.h"
#include "store.h"

G_BEGIN_DECLS

/* What one caller of the root agent may have realized at once (agent.conf
 * MaxDomainsPerUser, MaxMemoryPerUser, MaxVcpusPerUser, MaxDiskPerUser):
 * a realize through the agent makes a domain that runs on the host's
 * CPUs and memory and files in its pools, and its caller cannot stop or
 * remove them afterwards (F4, F5 of the blind review). */
typedef struct {
  guint max_domains;      /* domains and realizing planned systems */
  guint64 max_memory_mib; /* their <memory> in all; 0: the host's memory */
  guint max_vcpus;        /* their <vcpu> in all; 0: 4 x the host's CPUs */
  guint64 max_disk_mib;   /* what their realizes wrote; 0: no limit */
} VrRealizeLimits;

/* nova's initial_cpu_allocation_ratio: vCPUs one user may have per host
 * CPU thread when MaxVcpusPerUser is not set. */
#define VR_REALIZE_LIMITS_VCPU_RATIO 4

/* The realizes between their check and their job's end, each counted
 * against its caller (a lock makes check-and-hold one step, so that two
 * realizes at once cannot both pass on the same room). */
typedef struct _VrRealizeHolds VrRealizeHolds;
typedef struct _VrRealizeHold VrRealizeHold;

VrRealizeHolds *vr_realize_holds_new (void);
void vr_realize_holds_free (VrRealizeHolds *holds);

/* Whether uid (not root: root has no limit) may realize system (its
 * files read from dir, the caller's descriptor; NULL: from the recorded
 * path, which the agent reads only below TrustedImportDirs; copy_disks
 * as the realize's option) on top of what uid holds on conn's host (the
 * limits are per host; remote hosts from agent.conf [Hosts] each on
 * their own): the libvirt domains on conn that a realize through the
 * agent made for uid (the uid in their <vr:realize> tag), uid's planned
 * systems realized or realizing onto that host (the connection their
 * record names, or none recorded), and uid's other realizes held in
 * holds for that host. Then a hold on what this realize adds, kept until
 * vr_realize_hold_release; else NULL and VR_ERROR_IN_USE (32774) naming
 * the key, config_path and the figures. conn gives the host's memory and
 * CPUs for the defaults; NULL: only records and holds count. Reads the
 * store and libvirt. Thread-safe. */
VrRealizeHold *vr_realize_limits_hold (const VrRealizeLimits *limits,
                                       VrRealizeHolds *holds,
                                       VrStore *store,
                                       virConnectPtr conn,
                                       VrPlannedSystem *system,
                                       const VrImportDir *dir,
                                       gboolean copy_disks,
                                       guint uid,
                                       const char *config_path,
                                       GError **error);

/* The bytes the hold counts for the realize's files: the realize writes
 * them into the domain's tag (VrRealizeOptions.charged_bytes), so that
 * the domain keeps counting them after the hold is released. */
guint64 vr_realize_hold_get_bytes (const VrRealizeHold *hold);

/* The size of each import-directory file the hold counted (relpath to a
 * guint64), for VrRealizeOptions.counted_sizes; NULL when the realize
 * copies no disks or is root's. A new reference. */
GHashTable *vr_realize_hold_get_sizes (const VrRealizeHold *hold);

/* Ends the hold (the job ended, or the realize was refused before its
 * job); NULL is ignored. Thread-safe. */
void vr_realize_hold_release (VrRealizeHold *hold);

G_END_DECLS
