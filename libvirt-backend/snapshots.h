/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "import-dir.h"

G_BEGIN_DECLS

/* DIR/snapshots/index.xml: <snapshots><snapshot file="001.xml" name="N"
 * [current="yes"]/>…</snapshots>, parents before children; each file is
 * the snapshot's XML as libvirt gives it (VIR_DOMAIN_SNAPSHOT_XML_SECURE),
 * disk sources made relative to DIR. */
#define VR_SNAPSHOTS_INDEX "index.xml"
#define VR_SNAPSHOTS_MAX 1000
/* The names go on the bus (PlannedSystem.Snapshots, which every local
 * user reads with GetManagedObjects): 1000 names of 4000 bytes made nine
 * planned systems pass the bus's 32 MB message and dbus-daemon dropped
 * the agent, at every start (nineteenth review, F1). A name has at most
 * VR_DOMAIN_NAME_MAX bytes, all of them together at most this. */
#define VR_SNAPSHOT_NAMES_MAX_BYTES (64 * 1024)
/* The snapshot files an import parses and keeps, together (each is at
 * most VR_XML_MAX_SIZE): a real one is the snapshot's domain XML, some
 * KiB (nineteenth review, F2: 1000 of 4 MiB each). */
#define VR_SNAPSHOT_FILES_MAX_BYTES (64 * 1024 * 1024)

/* Fills dir->snapshots from DIR/snapshots (optional): the index, each
 * file a regular file holding the snapshot it names, parents first, no
 * file the index does not name. Errors are VR_ERROR_INVALID_PARAMETER
 * and name the file. */
gboolean vr_import_dir_read_snapshots (VrImportDir *dir, GError **error);

/* Points the disk sources of a snapshot's XML (its <domain>'s, its
 * <inactiveDomain>'s and its <disks>') that disk_targets knows elsewhere:
 * old path -> new path. */
void vr_snapshot_retarget_disks (xmlDoc *doc, GHashTable *disk_targets);

/* The snapshot's XML from dir, rewritten for the domain it is redefined
 * into: its <domain>'s and <inactiveDomain>'s name and UUID, and disk
 * sources by disk_targets (relative path in dir -> the copy's path); NULL
 * with error, also when a relative disk source is left (a file the
 * realize did not copy). */
char *vr_snapshot_xml_for (VrImportDir *dir, const VrImportSnapshot *snapshot,
                           const char *name, const char *uuid,
                           GHashTable *disk_targets, GError **error);

/* Redefines every snapshot of dir on dom, parents first, the current one
 * marked current (VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE). Their metadata
 * goes when the domain is undefined with
 * VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA. */
gboolean vr_snapshots_redefine (virDomainPtr dom, VrImportDir *dir,
                                GHashTable *disk_targets, GError **error);

G_END_DECLS
