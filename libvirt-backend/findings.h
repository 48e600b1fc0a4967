/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What validate reports: one finding per thing that does not fit this
 * host, with a stable ID (never reused), a severity, a one-line message, the
 * source (an XPath into the planned XML, or a file) and a hint saying how to
 * fix it. Every ID is in the table in findings.c and in README.md. */

typedef enum {
  VR_SEVERITY_INFO,
  VR_SEVERITY_WARNING,
  VR_SEVERITY_ERROR, /* blocks realize */
} VrSeverity;

/* The XML and the connection. */
#define VR_FINDING_SCHEMA "VR1001"
#define VR_FINDING_SKIPPED "VR1002"
#define VR_FINDING_NO_SCHEMA "VR1003"
#define VR_FINDING_NO_UUID "VR1004"
/* The planned system's state: realized already, realize refuses it. */
#define VR_FINDING_REALIZED "VR1005"
/* Platform: domain type, arch, emulator, machine. */
#define VR_FINDING_DOMAIN_TYPE "VR1101"
#define VR_FINDING_ARCH "VR1102"
#define VR_FINDING_EMULATOR "VR1103"
#define VR_FINDING_MACHINE "VR1104"
#define VR_FINDING_MACHINE_DEPRECATED "VR1105"
/* Resources. */
#define VR_FINDING_VCPU_MAX "VR1201"
#define VR_FINDING_VCPU_HOST "VR1202"
#define VR_FINDING_MEMORY_HOST "VR1203"
/* Guest CPU. */
#define VR_FINDING_CPU_MODE "VR1301"
#define VR_FINDING_CPU_MODEL "VR1302"
#define VR_FINDING_CPU_DROPPED "VR1303"
/* Devices against the domain capabilities. */
#define VR_FINDING_DISK_BUS "VR1401"
#define VR_FINDING_DISK_DEVICE "VR1402"
#define VR_FINDING_VIDEO "VR1403"
#define VR_FINDING_GRAPHICS "VR1404"
#define VR_FINDING_HOSTDEV "VR1405"
#define VR_FINDING_HOSTDEV_TYPE "VR1406"
#define VR_FINDING_LOADER "VR1407"
#define VR_FINDING_NVRAM_TEMPLATE "VR1408"
#define VR_FINDING_NVRAM "VR1409"
/* References to things outside the XML. */
#define VR_FINDING_DISK_SOURCE "VR1501"
#define VR_FINDING_NETWORK "VR1502"
#define VR_FINDING_HOST_INTERFACE "VR1503"
#define VR_FINDING_POOL "VR1504"
#define VR_FINDING_VOLUME "VR1505"
#define VR_FINDING_NOT_CHECKABLE "VR1506"
#define VR_FINDING_DISK_IN_IMPORT "VR1507"
#define VR_FINDING_POOL_OVERLAP "VR1508"
#define VR_FINDING_REMOTE_POOL "VR1509"
/* Conflicts. */
#define VR_FINDING_DOMAIN_NAME "VR1601"
#define VR_FINDING_DOMAIN_UUID "VR1602"
#define VR_FINDING_PLANNED_UUID "VR1603"
#define VR_FINDING_PLANNED_NAME "VR1604"
#define VR_FINDING_SAVE_DIR_TAKEN "VR1605"
#define VR_FINDING_MAC_TAKEN "VR1606"
/* Saved state. */
#define VR_FINDING_SAVE_IMAGE "VR1701"
#define VR_FINDING_SAVE_NAME "VR1702"
#define VR_FINDING_SAVE_UUID "VR1703"
#define VR_FINDING_SAVE_MEMORY "VR1704"
#define VR_FINDING_SAVE_VCPUS "VR1705"
#define VR_FINDING_SAVE_PLATFORM "VR1706"
#define VR_FINDING_SAVE_DEVICES "VR1707"
#define VR_FINDING_SAVE_CPU "VR1708"
#define VR_FINDING_NO_SAVE "VR1709"
#define VR_FINDING_SAVE_IDENTITY "VR1710"
#define VR_FINDING_SAVE_GUEST_CPU "VR1711"
#define VR_FINDING_SAVE_FIRMWARE "VR1712"
#define VR_FINDING_SAVE_FEATURES "VR1713"
#define VR_FINDING_SAVE_ABI "VR1714"
#define VR_FINDING_SAVE_INCOMPLETE "VR1715"
#define VR_FINDING_SAVE_UNCHECKED "VR1716"
/* Host access (host-access.c): what would give whoever defines the XML
 * more of the host than a guest of its own; errors through the agent
 * without the host-access right. */
#define VR_FINDING_HOST_QEMU "VR1801"
#define VR_FINDING_HOST_SECLABEL "VR1802"
#define VR_FINDING_HOST_DEVICE "VR1803"
#define VR_FINDING_HOST_PATH "VR1804"
#define VR_FINDING_HOST_CHARDEV "VR1805"
#define VR_FINDING_HOST_BOOT "VR1806"
#define VR_FINDING_HOST_EMULATOR "VR1807"
#define VR_FINDING_HOST_NETWORK "VR1808"
#define VR_FINDING_HOST_RNG "VR1809"
#define VR_FINDING_HOST_FOREIGN "VR1810"
#define VR_FINDING_HOST_DATA "VR1811"
#define VR_FINDING_HOST_UNKNOWN "VR1812"
#define VR_FINDING_HOST_BRIDGE "VR1813"
#define VR_FINDING_HOST_SEGMENT "VR1814"
/* Host resources a user cannot take for themselves (fifth attack review):
 * dumps written as root, memory shared by a host-wide name, real-time
 * scheduling, cache and bandwidth allocation. */
#define VR_FINDING_HOST_DUMP "VR1815"
#define VR_FINDING_HOST_SHMEM "VR1816"
#define VR_FINDING_HOST_PRIORITY "VR1817"
/* A fixed host TCP port for the console (VNC/SPICE/websocket): a warning
 * even through the agent, since any local user may bind such a port. */
#define VR_FINDING_HOST_PORT "VR1818"
/* The guest's own state that travels with it: NVRAM, TPM, snapshots. */
#define VR_FINDING_NVRAM_TAKEN "VR1901"
#define VR_FINDING_TPM_EMULATOR "VR1902"
#define VR_FINDING_TPM_SECRET "VR1903"
#define VR_FINDING_TPM_NOT_CARRIED "VR1904"
#define VR_FINDING_TPM_TAKEN "VR1905"
#define VR_FINDING_SNAPSHOT_DISKS "VR1906"

/* One row of the table. */
typedef struct {
  const char *id;
  VrSeverity severity;
  const char *title;
} VrFindingKind;

/* The table, in ID order; NULL past its end. */
const VrFindingKind *vr_finding_kind_nth (guint n);

/* The row for id, or NULL. */
const VrFindingKind *vr_finding_kind_lookup (const char *id);

const char *vr_severity_to_string (VrSeverity severity);

/* A fix as data, for front ends that render (or apply) it their own way:
 * what `virt-realize edit --set XPATH=VALUE` does (value: an attribute's
 * value, a missing one added, or an element's text), or with value NULL
 * what `--remove XPATH` does. */
typedef struct {
  char *xpath;
  char *value; /* NULL: remove what xpath selects */
} VrFindingFix;

VrFindingFix *vr_finding_fix_new (const char *xpath, const char *value);
void vr_finding_fix_free (VrFindingFix *fix);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrFindingFix, vr_finding_fix_free)

typedef struct {
  char *id;
  VrSeverity severity;
  char *message;
  char *source; /* XPath into the planned XML, or a file; may be NULL */
  int line;     /* line in the planned XML, 0 when unknown */
  char *hint;   /* may be NULL */
  VrFindingFix *fix; /* NULL when no one edit of the planned XML fixes it */
} VrFinding;

void vr_finding_free (VrFinding *finding);

/* Sets (replaces) the finding's fix; value NULL for a removal, xpath NULL
 * for none. */
void vr_finding_set_fix (VrFinding *finding,
                         const char *xpath,
                         const char *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrFinding, vr_finding_free)

/* An empty array of VrFinding that frees them with itself. */
GPtrArray *vr_findings_new (void);

/* Adds a finding with its kind's default severity; id must be in the
 * table. source and hint may be NULL. Returns the finding, owned by the
 * array, for a caller that sets its line. */
VrFinding *vr_findings_add (GPtrArray *findings,
                            const char *id,
                            const char *source,
                            const char *hint,
                            const char *format,
                            ...) G_GNUC_PRINTF (5, 6);

gboolean vr_findings_has_errors (GPtrArray *findings);

/* How many findings have the severity. */
guint vr_findings_count (GPtrArray *findings, VrSeverity severity);

/* Drops every finding with id (a check the caller's options make moot). */
void vr_findings_remove_id (GPtrArray *findings, const char *id);

/* The first finding with id, or NULL. */
VrFinding *vr_findings_find (GPtrArray *findings, const char *id);

/* {"id", "severity", "title", "message", "source", "line", "hint", "fix"}:
 * fix is null, {"xpath", "value"} or {"xpath", "remove": true}. */
JsonNode *vr_finding_to_json (const VrFinding *finding);

/* The findings as a JSON array of vr_finding_to_json() objects (what the
 * agent's Validate answers). */
char *vr_findings_to_json (GPtrArray *findings);

/* The findings of a JSON array of vr_finding_to_json() objects (an agent's
 * Validate answer); a kind this program does not know keeps the severity
 * the JSON gives. JSON of before "fix" reads as findings without one, and
 * a fix of a shape this program does not know as none. */
GPtrArray *vr_findings_from_json (const char *json, GError **error);

/* "error VR1104 /domain/os/type/@machine: message\n  hint: hint\n". */
char *vr_finding_to_text (const VrFinding *finding);

G_END_DECLS
