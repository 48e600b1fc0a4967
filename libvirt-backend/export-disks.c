/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xpath.h>

#include "errors.h"
#include "export-private.h"
#include "qcow2.h"
#include "safe-xml.h"

/* The longest backing chain export follows. */
#define MAX_CHAIN 16

void
vr_export_disk_free (VrExportDisk *disk)
{
  g_free (disk->path);
  g_free (disk->name);
  g_free (disk->format);
  g_free (disk->backing_name);
  g_free (disk->backing_format);
  g_free (disk);
}

typedef struct {
  xmlXPathContext *ctxt;
  GPtrArray *disks;
  GHashTable *names;  /* taken in DIR/disks */
  GPtrArray *notes;
  virConnectPtr remote; /* the domain's host when it is another one */
} Plan;

static char *
eval_string (Plan *plan, xmlNode *node, const char *expr)
{
  g_autoptr (xmlXPathObject) obj = NULL;
  xmlChar *text;
  char *out;

  plan->ctxt->node = node;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, plan->ctxt);
  if (obj == NULL)
    return NULL;
  text = xmlXPathCastToString (obj);
  out = text != NULL && *text != '\0' ? g_strdup ((const char *) text) : NULL;
  xmlFree (text);
  return out;
}

static gboolean
eval_bool (Plan *plan, xmlNode *node, const char *expr)
{
  g_autoptr (xmlXPathObject) obj = NULL;

  plan->ctxt->node = node;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, plan->ctxt);
  return obj != NULL && xmlXPathCastToBoolean (obj);
}

/* A backing file is part of the disk: the chain is exported whole. An
 * external data file, or a backing that is not a file, is more than
 * files can carry. */
static gboolean
check_chain_link (const VrQcow2Info *info, const char *what, const char *path,
                  guint depth, GError **error)
{
  if (info->data_file)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) is a qcow2 image with an external data file: it "
                   "cannot be copied as files", what, path);
      return FALSE;
    }
  if (info->backing == NULL)
    return TRUE;
  if (strchr (info->backing, ':') != NULL || depth >= MAX_CHAIN)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) is a qcow2 image on top of a backing file (%s) "
                   "that is not a plain file or lies too deep: flatten it "
                   "first (virsh blockpull, or qemu-img convert -O qcow2 "
                   "into a new image the domain then uses)", what, path,
                   info->backing);
      return FALSE;
    }
  return TRUE;
}

static char *
resolve_backing (const char *path, const char *backing)
{
  g_autofree char *dir = NULL;

  if (g_path_is_absolute (backing))
    return g_strdup (backing);
  dir = g_path_get_dirname (path);
  return g_build_filename (dir, backing, NULL);
}

/* The image's own name, else "N-name" for the Nth of that name. */
static char *
unique_name (Plan *plan, const char *path, const char *target)
{
  g_autofree char *base = g_path_get_basename (path);
  char *name;

  if (g_str_equal (base, ".") || g_str_equal (base, "..")
      || strchr (base, '/') != NULL)
    {
      g_free (base);
      base = g_strdup_printf ("%s.img", target ? target : "disk");
    }
  name = g_strdup (base);
  for (guint n = 2; g_hash_table_contains (plan->names, name); n++)
    {
      g_free (name);
      name = g_strdup_printf ("%u-%s", n, base);
    }
  g_hash_table_add (plan->names, name);
  return g_strdup (name);
}

static xmlNode *
child_element (xmlNode *node, const char *name)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    if (child->type == XML_ELEMENT_NODE
        && xmlStrEqual (child->name, (const xmlChar *) name))
      return child;
  return NULL;
}

static VrExportDisk *
add_file_disk (Plan *plan, xmlNode *node, const char *what, const char *path,
               const char *target, guint depth, GError **error);

/* The backing file after the image open on fd, itself added (and its
 * own, down the chain); disk->backing_name gets its name in DIR/disks. */
static gboolean
add_backing (Plan *plan, VrExportDisk *disk, const VrQcow2Info *info,
             const char *what, guint depth, GError **error)
{
  g_autofree char *backing = resolve_backing (disk->path, info->backing);
  g_autofree char *base_what = g_strdup_printf ("backing file of %s", what);
  VrExportDisk *base = add_file_disk (plan, NULL, base_what, backing, NULL,
                                      depth + 1, error);

  if (base == NULL)
    return FALSE;
  disk->backing_name = g_strdup (base->name);
  disk->backing_format = g_strdup (base->format);
  return TRUE;
}

static VrExportDisk *
add_file_disk (Plan *plan, xmlNode *node, const char *what, const char *path,
               const char *target, guint depth, GError **error)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  g_auto (VrQcow2Info) info = { 0 };
  VrExportDisk *disk;
  struct stat st;

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "%s: cannot open %s", what, path);
      return NULL;
    }
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) is not a regular file", what, path);
      close (fd);
      return NULL;
    }
  vr_qcow2_read (fd, &info);
  disk = g_new0 (VrExportDisk, 1);
  disk->format = g_strdup (vr_qcow2_format_of (fd));
  close (fd);
  if (!check_chain_link (&info, what, path, depth, error))
    {
      vr_export_disk_free (disk);
      return NULL;
    }
  disk->source = node ? child_element (node, "source") : NULL;
  disk->path = g_strdup (path);
  disk->name = unique_name (plan, path, target);
  disk->size = st.st_size;
  g_ptr_array_add (plan->disks, disk);
  if (info.backing != NULL
      && !add_backing (plan, disk, &info, what, depth, error))
    return NULL;
  return disk;
}

/* On another host a disk is reached as a volume of a pool there
 * (export-remote.c); its chain is refused there. */
static gboolean
add_volume_disk (Plan *plan, xmlNode *node, const char *what,
                 const char *path, const char *target, GError **error)
{
  VrExportDisk *disk = vr_export_remote_disk_new (plan->remote, what, path,
                                                  error);

  if (disk == NULL)
    return FALSE;
  disk->source = child_element (node, "source");
  disk->name = unique_name (plan, path, target);
  g_ptr_array_add (plan->disks, disk);
  return TRUE;
}

static void
add_note (Plan *plan, const char *what, const char *path, const char *why)
{
  g_ptr_array_add (plan->notes,
                   g_strdup_printf ("%s (%s): %s, not copied; domain.xml "
                                    "keeps its path on this host", what,
                                    path, why));
}

static const char *
shared_reason (Plan *plan, xmlNode *node, const char *device)
{
  if (g_strcmp0 (device, "cdrom") == 0 || g_strcmp0 (device, "floppy") == 0)
    return "removable media";
  if (eval_bool (plan, node, "boolean(readonly)"))
    return "read-only (other guests may use it)";
  if (eval_bool (plan, node, "boolean(shareable)"))
    return "shareable (other guests may use it)";
  return NULL;
}

static gboolean
plan_disk (Plan *plan, xmlNode *node, GError **error)
{
  g_autofree char *device = eval_string (plan, node, "string(@device)");
  g_autofree char *type = eval_string (plan, node, "string(@type)");
  g_autofree char *target = eval_string (plan, node, "string(target/@dev)");
  g_autofree char *source = eval_string (
      plan, node, "string((source/@file | source/@dev | source/@name"
                  " | source/@volume | source/@dir)[1])");
  g_autofree char *what = g_strdup_printf ("%s %s", device ? device : "disk",
                                           target ? target : "?");
  const char *reason = shared_reason (plan, node, device);

  if (source == NULL)
    return TRUE;
  if (reason != NULL)
    {
      add_note (plan, what, source, reason);
      return TRUE;
    }
  if (type != NULL && !g_str_equal (type, "file"))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) is a disk of type '%s', not a file: --with-disks "
                   "copies file-backed disks only; export without "
                   "--with-disks and move its data yourself", what, source,
                   type);
      return FALSE;
    }
  if (eval_bool (plan, node, "boolean(backingStore/source)"))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "%s (%s) has a backing chain: it cannot be copied as one "
                   "file; flatten it first (virsh blockpull)", what, source);
      return FALSE;
    }
  if (plan->remote != NULL)
    return add_volume_disk (plan, node, what, source, target, error);
  return add_file_disk (plan, node, what, source, target, 0, error) != NULL;
}

GPtrArray *
vr_export_plan_disks (xmlDoc *doc, virConnectPtr remote, GPtrArray *notes,
                      GError **error)
{
  g_autoptr (GPtrArray) disks = g_ptr_array_new_with_free_func (
      (GDestroyNotify) vr_export_disk_free);
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash,
                                                        g_str_equal, g_free,
                                                        NULL);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) nodes = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/disk", ctxt);
  Plan plan = { ctxt, disks, names, notes, remote };
  int count = nodes && nodes->nodesetval ? nodes->nodesetval->nodeNr : 0;

  for (int i = 0; i < count; i++)
    if (!plan_disk (&plan, nodes->nodesetval->nodeTab[i], error))
      return NULL;
  return g_steal_pointer (&disks);
}
