/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* /etc/virt-realize/agent.conf (data/agent.conf documents each key): what
 * an administrator lets callers of the agent use. */
typedef struct {
  char *path;        /* the file read, for messages */
  char **pool_dirs;  /* directories (and their subfolders) a caller may
                        name as pool-dir, besides libvirt directory pools */
  char **trusted_import_dirs; /* import directories below these may be
                                reopened by path without the caller's
                                descriptor */
  char **bridges;     /* host bridges guests may join (interface
                        type='bridge') besides libvirt networks' */
  guint max_pending; /* authorizations one caller may have waiting */
  guint max_imports; /* imports (manifest hashing) running at once */
  /* [Hosts]: the remote libvirt hosts a caller may realize onto, by
   * name (host_names[i] is host_uris[i]); both NULL-terminated, maybe
   * empty. A caller names one of these, never a URI of their own: the
   * agent is root, and qemu+ssh://…?command= or keyfile= would run a
   * command or read a file as root. */
  char **host_names;
  char **host_uris;
  guint max_domains_per_user;   /* realized planned systems of one uid */
  guint max_memory_per_user;    /* their memory in MiB; 0: the host's */
  guint max_vcpus_per_user;     /* their vCPUs; 0: 4 per host CPU */
  guint max_disk_per_user;      /* MiB their realizes wrote; 0: no limit */
  guint max_planned_per_user;   /* planned systems one uid owns; 0: 32 */
  guint max_planned_bytes_per_user; /* their XML, MiB; 0: 64 */
  guint max_validations_per_user;   /* validations at once; 0: 2 */
  guint max_import_jobs_per_user;   /* import Job objects, live or kept */
  guint max_kept_jobs_per_user;     /* ended Job objects kept on the bus */
  guint max_waiting_imports_per_user; /* imports waiting for a slot */
} VrAgentConfig;

#define VR_AGENT_CONFIG_DEFAULT SYSCONFDIR "/virt-realize/agent.conf"
#define VR_AGENT_DEFAULT_MAX_IMPORTS 2
#define VR_AGENT_DEFAULT_MAX_DOMAINS_PER_USER 32
#define VR_AGENT_DEFAULT_MAX_IMPORT_JOBS_PER_USER 8
#define VR_AGENT_DEFAULT_MAX_KEPT_JOBS_PER_USER 32
#define VR_AGENT_DEFAULT_MAX_WAITING_IMPORTS_PER_USER 8

/* Reads path; a file that does not exist gives the defaults (no extra
 * pool or trusted directories, no bridges, 4 pending authorizations, 2
 * imports, no hosts). A key with a wrong value is an error naming the
 * file, group and key. */
VrAgentConfig *vr_agent_config_load (const char *path, GError **error);
void vr_agent_config_free (VrAgentConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrAgentConfig, vr_agent_config_free)

G_END_DECLS
