/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Snapshots redefined on the realized domain (Hyper-V's
 * ImportSnapshotDefinitions): their metadata only; internal qcow2
 * snapshots are inside the copied disks. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <libxml/xpath.h>

#include "errors.h"
#include "libvirt-util.h"
#include "safe-xml.h"
#include "snapshots.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virDomainSnapshot, virDomainSnapshotFree)

static void
set_text (xmlDoc *doc, const char *expr, const char *value)
{
  xmlNode *node = vr_xml_xpath_node (doc, expr);

  if (node != NULL)
    xmlNodeSetContent (node, (const xmlChar *)value);
}

void
vr_snapshot_retarget_disks (xmlDoc *doc, GHashTable *disk_targets)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) sources = xmlXPathEvalExpression (
      (const xmlChar *)"/domainsnapshot/domain/devices/disk/source[@file]"
                       " | /domainsnapshot/inactiveDomain/devices/disk"
                       "/source[@file]"
                       " | /domainsnapshot/disks/disk/source[@file]",
      ctxt);

  for (int i = 0;
       sources && sources->nodesetval && i < sources->nodesetval->nodeNr; i++)
    {
      xmlNode *source = sources->nodesetval->nodeTab[i];
      g_autofree char *file
          = (char *)xmlGetProp (source, (const xmlChar *)"file");
      const char *target
          = disk_targets ? g_hash_table_lookup (disk_targets, file) : NULL;

      if (target != NULL)
        xmlSetProp (source, (const xmlChar *)"file", (const xmlChar *)target);
    }
}

/* After retargeting, a relative source left in a snapshot is a file this
 * realize did not copy: libvirt would hand QEMU (whose working directory
 * is /) that path on a revert, so "etc/shadow" would be the host's. The
 * <inactiveDomain> (what a revert of a running snapshot leaves defined)
 * too: eleventh review, F5b. */
static gboolean
check_retargeted (xmlDoc *doc, const char *display_name, GError **error)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) sources = xmlXPathEvalExpression (
      (const xmlChar *) "/domainsnapshot/domain/devices/disk//source/@file"
                        " | /domainsnapshot/domain/devices/disk//source/@dev"
                        " | /domainsnapshot/inactiveDomain/devices/disk"
                        "//source/@file"
                        " | /domainsnapshot/inactiveDomain/devices/disk"
                        "//source/@dev"
                        " | /domainsnapshot/disks/disk//source/@file"
                        " | /domainsnapshot/disks/disk//source/@dev",
      ctxt);

  for (int i = 0;
       sources && sources->nodesetval && i < sources->nodesetval->nodeNr; i++)
    {
      g_autofree char *file
          = (char *) xmlNodeGetContent (sources->nodesetval->nodeTab[i]);

      if (file == NULL || g_path_is_absolute (file))
        continue;
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: disk source '%s' is not one of the disks this "
                   "realize copied into the pool (a snapshot may name only "
                   "the planned XML's carried disks and their chains)",
                   display_name, file);
      return FALSE;
    }
  return TRUE;
}

char *
vr_snapshot_xml_for (VrImportDir *dir, const VrImportSnapshot *snapshot,
                     const char *name, const char *uuid,
                     GHashTable *disk_targets, GError **error)
{
  g_autofree char *display_name
      = vr_import_dir_describe (dir, snapshot->relpath);
  g_autoptr (xmlDoc) doc = NULL;
  int fd;

  /* The file as validated, not as it may be now. */
  if (snapshot->doc != NULL)
    doc = xmlCopyDoc (snapshot->doc, 1);
  else if ((fd = vr_import_dir_open_file (dir, snapshot->relpath,
                                          error)) >= 0)
    {
      doc = vr_xml_parse_fd (fd, display_name, VR_XML_MAX_SIZE,
                             "domainsnapshot", error);
      close (fd);
    }
  if (doc == NULL)
    return NULL;
  set_text (doc, "/domainsnapshot/domain/name", name);
  set_text (doc, "/domainsnapshot/domain/uuid", uuid);
  set_text (doc, "/domainsnapshot/inactiveDomain/name", name);
  set_text (doc, "/domainsnapshot/inactiveDomain/uuid", uuid);
  vr_snapshot_retarget_disks (doc, disk_targets);
  if (!check_retargeted (doc, display_name, error))
    return NULL;
  return vr_xml_to_string (doc);
}

static gboolean
redefine_one (virDomainPtr dom, VrImportDir *dir,
              const VrImportSnapshot *snapshot, GHashTable *disk_targets,
              GError **error)
{
  char uuid[VIR_UUID_STRING_BUFLEN] = "";
  g_autofree char *xml = NULL;
  g_autoptr (virDomainSnapshot) snap = NULL;
  unsigned int flags
      = VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE
        | (snapshot->current ? VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT : 0);

  virDomainGetUUIDString (dom, uuid);
  xml = vr_snapshot_xml_for (dir, snapshot, virDomainGetName (dom), uuid,
                             disk_targets, error);
  if (xml == NULL)
    return FALSE;
  snap = virDomainSnapshotCreateXML (dom, xml, flags);
  if (snap != NULL)
    return TRUE;
  vr_libvirt_set_error (error, "cannot redefine snapshot '%s' (%s/%s)",
                        snapshot->name, dir->path, snapshot->relpath);
  return FALSE;
}

gboolean
vr_snapshots_redefine (virDomainPtr dom, VrImportDir *dir,
                       GHashTable *disk_targets, GError **error)
{
  for (guint i = 0; dir->snapshots && i < dir->snapshots->len; i++)
    if (!redefine_one (dom, dir, dir->snapshots->pdata[i], disk_targets, error))
      return FALSE;
  return TRUE;
}
