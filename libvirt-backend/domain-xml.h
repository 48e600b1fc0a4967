/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* The canonical form (lower-case 8-4-4-4-12) of a UUID in any form libvirt
 * accepts (with or without dashes), or NULL when it is not one. */
char *vr_uuid_normalize (const char *text);

/* The longest name taken, in bytes: libvirt and realize make files of
 * it (NAME.save, NAME.xml, NAME-DISK in a pool) under the 255-byte
 * NAME_MAX, and it goes on the bus (Name, Domain, TargetName) where
 * every local user reads it: seventeen-MB names made GetManagedObjects'
 * reply pass the bus's 32 MB and dbus-daemon dropped the agent
 * (eighteenth review, F4). */
#define VR_DOMAIN_NAME_MAX 200

/* The rule vr_domain_name_is_valid checks, as error messages say it. */
#define VR_DOMAIN_NAME_RULE \
  "at most 200 bytes, no '/', no control character, not '.', '..' or a " \
  "UUID"

/* A domain name libvirt would accept: not empty, no '/', no control
 * characters, valid UTF-8, at most VR_DOMAIN_NAME_MAX bytes; and not one
 * that reads as a UUID (commands take a name or a UUID). */
gboolean vr_domain_name_is_valid (const char *name);

/* The part of that rule any name shown to users follows (a snapshot's
 * too): not empty, at most VR_DOMAIN_NAME_MAX bytes of UTF-8, no '/', no
 * control character. */
gboolean vr_name_is_plain (const char *name);

/* Reads /domain/name and /domain/uuid (normalized) of a parsed domain XML;
 * errors name display_name and the element. */
gboolean vr_domain_xml_get_identity (xmlDoc *doc,
                                     const char *display_name,
                                     char **name,
                                     char **uuid,
                                     GError **error);

/* Replaces the text of /domain/name. */
gboolean vr_domain_xml_set_name (xmlDoc *doc, const char *name, GError **error);

/* Replaces the text of /domain/uuid. */
void vr_domain_xml_set_uuid (xmlDoc *doc, const char *uuid);

/* Gives every <interface> a new random MAC address in QEMU's range
 * (52:54:00), as virsh does for one left out; returns how many. */
guint vr_domain_xml_new_macs (xmlDoc *doc);

/* /domain/memory in KiB (0 when absent) and /domain/vcpu (0 when absent). */
/* The domain XML as text without its secrets, as libvirt gives it
 * without VIR_DOMAIN_XML_SECURE: no passwd attribute (graphics
 * passwords) and no launchSecurity session or certificate data. */
char *vr_domain_xml_to_string_public (xmlDoc *doc);

guint64 vr_domain_xml_get_memory_kib (xmlDoc *doc);
guint vr_domain_xml_get_vcpus (xmlDoc *doc);

/* The most memory libvirt may give the guest, in KiB: the largest of
 * <memory>, the NUMA cells' sizes plus the <devices><memory> modules'
 * (libvirt takes that sum over <memory> when there are cells), and
 * <maxMemory> (what hot-plug may reach); plus every video device's
 * ram/vram/vram64/vgamem (libvirt's defaults where left out) and TCG's
 * <tb-cache>, which QEMU maps for the guest as well (seventh review, F2).
 * Per-user limits count this (sixth review, F3), never <memory> alone. */
guint64 vr_domain_xml_get_memory_bound_kib (xmlDoc *doc);

G_END_DECLS
