/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>
#include <libvirt/libvirt.h>

G_BEGIN_DECLS

/* What a connection's host offers, from libvirt's capabilities and domain
 * capabilities, turned into plain structs once and kept: validation asks
 * for the same things again and again, and libvirt builds those documents
 * anew on every call. Everything handed out is immutable and lives as long
 * as the VrHostCaps. */

typedef enum {
  VR_SUPPORT_UNKNOWN, /* the host did not say: skip the check */
  VR_SUPPORT_NO,
  VR_SUPPORT_YES,
} VrSupport;

typedef struct {
  char *name;
  char *canonical; /* for an alias such as "pc": the machine it stands for */
  guint max_cpus;  /* 0 when not given */
  gboolean deprecated;
} VrMachine;

/* A <domain type=...> under a guest arch; it may have its own emulator
 * and machines (else the arch's apply). */
typedef struct {
  char *type;
  char *emulator;
  GPtrArray *machines; /* of VrMachine */
} VrGuestDomain;

typedef struct {
  char *os_type; /* "hvm" */
  char *arch;
  char *emulator;
  GPtrArray *machines; /* of VrMachine */
  GPtrArray *domains;  /* of VrGuestDomain */
} VrGuestCaps;

typedef struct {
  char *host_arch;
  GPtrArray *guests; /* of VrGuestCaps */
} VrCaps;

/* Domain capabilities of one (emulator, arch, machine, virttype). Keys
 * name elements by path below <domainCapabilities>, an <enum> or a
 * <mode name=...> by its name: "devices/disk/bus",
 * "devices/video/modelType", "cpu/mode/host-passthrough", "os/loader". */
typedef struct {
  char *path;
  char *machine;
  char *arch;
  char *virttype;
  guint vcpu_max;        /* 0 when not given */
  GHashTable *enums;     /* key -> GPtrArray of values, in libvirt's order */
  GHashTable *supported; /* key -> "yes" / "no" */
  GHashTable *cpu_models; /* custom CPU model -> "yes" / "no" (usable) */
  GHashTable *cpu_blockers; /* unusable model -> "feature, feature" */
} VrDomainCaps;

/* Parsing (host-caps-parse.c). */
VrCaps *vr_caps_parse (const char *xml, gsize len, GError **error);
void vr_caps_free (VrCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCaps, vr_caps_free)

VrDomainCaps *vr_domain_caps_parse (const char *xml, gsize len,
                                    GError **error);
void vr_domain_caps_free (VrDomainCaps *dcaps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrDomainCaps, vr_domain_caps_free)

/* The guest entry for an OS type and arch, or NULL. */
const VrGuestCaps *vr_caps_find_guest (const VrCaps *caps,
                                       const char *os_type,
                                       const char *arch);
const VrGuestDomain *vr_guest_caps_find_domain (const VrGuestCaps *guest,
                                                const char *type);
/* The emulator and machines for a domain type: its own, else the arch's. */
const char *vr_guest_caps_emulator (const VrGuestCaps *guest,
                                    const VrGuestDomain *domain);
GPtrArray *vr_guest_caps_machines (const VrGuestCaps *guest,
                                   const VrGuestDomain *domain);
const VrMachine *vr_machines_find (GPtrArray *machines, const char *name);

/* The values of an enum (NULL when the host does not list it). */
GPtrArray *vr_domain_caps_get_enum (const VrDomainCaps *dcaps,
                                    const char *key);
/* Whether value is in the enum; UNKNOWN when the enum is not listed. */
VrSupport vr_domain_caps_enum_has (const VrDomainCaps *dcaps,
                                   const char *key,
                                   const char *value);
/* "a, b, c" for a hint, or NULL. */
char *vr_domain_caps_enum_join (const VrDomainCaps *dcaps, const char *key);
/* The supported='yes|no' of an element. */
VrSupport vr_domain_caps_supported (const VrDomainCaps *dcaps,
                                    const char *key);
VrSupport vr_domain_caps_cpu_model_usable (const VrDomainCaps *dcaps,
                                           const char *model);
/* The features that keep a model from being usable here, "a, b", where
 * the domain capabilities list them (libvirt after 9.0), else NULL. */
const char *vr_domain_caps_cpu_blockers (const VrDomainCaps *dcaps,
                                         const char *model);

/* The cache of one connection. Thread-safe: the agent validates from
 * worker threads. */
#define VR_TYPE_HOST_CAPS (vr_host_caps_get_type ())
G_DECLARE_FINAL_TYPE (VrHostCaps, vr_host_caps, VR, HOST_CAPS, GObject)

/* Takes its own reference on conn. */
VrHostCaps *vr_host_caps_new (virConnectPtr conn);
virConnectPtr vr_host_caps_get_connection (VrHostCaps *self);

/* The driver's name ("QEMU", "Test"), for messages. */
const char *vr_host_caps_get_driver (VrHostCaps *self);

/* TRUE when the connection's host is this machine, so that files it names
 * can be checked here. */
gboolean vr_host_caps_is_local (VrHostCaps *self);

/* The capabilities, fetched on first use. */
const VrCaps *vr_host_caps_get_caps (VrHostCaps *self, GError **error);

/* Host CPUs and memory (virNodeGetInfo), fetched on first use. */
gboolean vr_host_caps_get_node (VrHostCaps *self,
                                guint *cpus,
                                guint64 *memory_kib,
                                GError **error);

/* The domain capabilities, fetched once per (emulator, arch, machine,
 * virttype); a failure (VR_ERROR_NOT_SUPPORTED for a driver without them)
 * is kept as well and given again. */
const VrDomainCaps *vr_host_caps_get_domain_caps (VrHostCaps *self,
                                                  const char *emulator,
                                                  const char *arch,
                                                  const char *machine,
                                                  const char *virttype,
                                                  GError **error);

/* virConnectCompareHypervisorCPU of a <cpu> XML, once per input while it
 * stays in a bounded cache. Sets *usable and *reason (libvirt's
 * explanation when it is not usable, else NULL; free it). FALSE with
 * error when the driver cannot compare. */
gboolean vr_host_caps_compare_cpu (VrHostCaps *self,
                                   const char *emulator,
                                   const char *arch,
                                   const char *machine,
                                   const char *virttype,
                                   const char *cpu_xml,
                                   gboolean *usable,
                                   char **reason,
                                   GError **error);

/* How many CPU verdicts the cache holds (for its tests). */
guint vr_host_caps_cached_cpu_verdicts (VrHostCaps *self);

G_END_DECLS
