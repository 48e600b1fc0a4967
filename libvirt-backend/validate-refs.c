/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the XML names outside itself: disk files, networks, bridges,
 * storage pools and volumes. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libvirt-util.h"
#include "caller-access.h"
#include "validate-private.h"

typedef enum {
  LOOKUP_FOUND,
  LOOKUP_MISSING,
  LOOKUP_UNCHECKABLE,
} Lookup;

/* A failed libvirt lookup: the thing is missing, or the connection has no
 * driver to ask (the embedded QEMU driver has no network or storage). */
static Lookup
lookup_failure (int missing_code, char **why)
{
  virErrorPtr err = virGetLastError ();

  if (err != NULL && err->code == missing_code)
    return LOOKUP_MISSING;
  *why = g_strdup (err && err->message ? err->message : "unknown error");
  return LOOKUP_UNCHECKABLE;
}

static void
report_uncheckable (VrValidation *v, xmlNode *node, const char *what,
                    const char *why)
{
  vr_validation_add (v, VR_FINDING_NOT_CHECKABLE, node,
                     "make sure it exists where the guest will run",
                     "%s is not checkable on this connection: %s", what, why);
}

static void
check_relative_disk (VrValidation *v, xmlNode *attr, const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *where = NULL;
  g_autofree char *hint = NULL;
  int fd;

  if (v->dir == NULL)
    {
      g_autofree char *moved = vr_validation_moved_dir_hint (v);

      vr_validation_add (v, VR_FINDING_DISK_SOURCE, attr,
                         moved ? moved : "give the disk an absolute path",
                         "relative disk path '%s' with no import directory "
                         "to find it in", path);
      return;
    }
  fd = vr_import_dir_open_file (v->dir, path, &error);
  if (fd >= 0)
    {
      close (fd);
      /* The domain cannot use a disk inside DIR, which is never written:
       * realize must copy it into the pool first. A bare FILE.xml is
       * never realized. */
      if (v->check_save)
        vr_validation_add (v, VR_FINDING_DISK_IN_IMPORT, attr,
                           "realize (and validate) with the copy-disks "
                           "option: the "
                           "disk is copied into the pool and the domain "
                           "points at the copy",
                           "disk %s is inside the import directory", path);
      return;
    }
  where = vr_import_dir_describe (v->dir, path);
  hint = g_strdup_printf ("put the disk image at %s (a regular file, not a "
                          "link)%s", where,
                          v->check_save ? ", and realize with the copy-disks "
                                          "option"
                                        : "");
  vr_validation_add (v, VR_FINDING_DISK_SOURCE, attr, hint, "%s",
                     error->message);
}

static void
check_absolute_disk (VrValidation *v, xmlNode *attr, const char *path)
{
  g_autofree char *xpath = NULL;
  g_autofree char *set = NULL;
  g_autofree char *hint = NULL;
  int errsv;

  /* access() here is the agent's (root's): for a caller without the
   * host-access right it would tell whether /root/x exists. Their
   * absolute path is a host-access finding (VR1804) whatever is there. */
  if (!v->options.host_access_allowed || access (path, R_OK) == 0)
    return;
  errsv = errno;
  xpath = vr_node_xpath (attr);
  set = vr_validation_hint_set_example (v, xpath, "/path/to/copy");
  hint = g_strdup_printf ("copy the disk image to %s, or point the disk at "
                          "its copy: %s", path, set);
  vr_validation_add (v, VR_FINDING_DISK_SOURCE, attr, hint,
                     "disk source %s: %s", path, g_strerror (errsv));
}

/* Realize copies and rewrites a file disk's <source file> only
 * (realize-disks): a relative @dev, or a @file libvirt does not read,
 * would reach libvirt as written and name a host path below its working
 * directory '/' (sixth review, F6), whatever the import directory holds
 * under that name. */
static gboolean
carried_source (xmlNode *disk, xmlNode *attr)
{
  g_autofree char *type = vr_node_string (disk, "string(@type)");

  return g_str_equal ((const char *) attr->name, "file")
         && (type == NULL || *type == '\0' || g_str_equal (type, "file"));
}

static void
check_uncarried (VrValidation *v, xmlNode *attr, const char *path)
{
  vr_validation_add (v, VR_FINDING_DISK_SOURCE, attr,
                     "give an absolute path, or carry the disk as a file "
                     "disk (<disk type='file'> with a relative <source "
                     "file>) and realize with the copy-disks option",
                     "relative disk path '%s' in <source %s>: only a file "
                     "disk's <source file> is carried into the pool; "
                     "libvirt would take it relative to its working "
                     "directory '/'", path, (const char *) attr->name);
}

static void
check_disk_file (VrValidation *v, xmlNode *disk)
{
  xmlNode *attr = vr_node_find (disk, "source/@file | source/@dev");
  g_autofree char *path = NULL;
  g_autofree char *policy = vr_node_string (
      disk, "string(source/@startupPolicy)");

  if (attr == NULL)
    return;
  path = vr_node_string (attr, "string(.)");
  if (path == NULL)
    return;
  /* Optional or not, libvirt would label it when present. */
  if (!g_path_is_absolute (path) && !carried_source (disk, attr))
    check_uncarried (v, attr, path);
  /* An optional source may be missing: libvirt starts without it. */
  else if (g_strcmp0 (policy, "optional") == 0)
    return;
  else if (!g_path_is_absolute (path))
    check_relative_disk (v, attr, path);
  else if (vr_host_caps_is_local (v->caps))
    check_absolute_disk (v, attr, path);
  else
    vr_validation_skip (v, "disk files (on another machine)");
}

static void
check_volume (VrValidation *v, xmlNode *disk)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *pool_name = vr_node_string (disk, "string(source/@pool)");
  g_autofree char *vol_name = vr_node_string (disk, "string(source/@volume)");
  g_autoptr (virStoragePool) pool = NULL;
  g_autoptr (virStorageVol) vol = NULL;
  g_autofree char *why = NULL;
  g_autofree char *what = NULL;

  if (pool_name == NULL)
    return;
  what = g_strdup_printf ("storage pool '%s'", pool_name);
  pool = virStoragePoolLookupByName (conn, pool_name);
  if (pool == NULL && lookup_failure (VIR_ERR_NO_STORAGE_POOL, &why)
                          == LOOKUP_MISSING)
    vr_validation_add (v, VR_FINDING_POOL, disk,
                       "define and start the pool (virsh pool-define, "
                       "pool-start)", "%s is not defined on this host", what);
  else if (pool == NULL)
    report_uncheckable (v, disk, what, why);
  if (pool == NULL || vol_name == NULL)
    return;
  vol = virStorageVolLookupByName (pool, vol_name);
  if (vol == NULL && lookup_failure (VIR_ERR_NO_STORAGE_VOL, &why)
                         == LOOKUP_MISSING)
    vr_validation_add (v, VR_FINDING_VOLUME, disk,
                       "copy the volume into the pool (virsh vol-upload)",
                       "volume '%s' is not in %s", vol_name, what);
}

static void
check_network (VrValidation *v, xmlNode *iface)
{
  g_autofree char *name = vr_node_string (iface, "string(source/@network)");
  g_autoptr (virNetwork) net = NULL;
  g_autofree char *why = NULL;
  g_autofree char *what = NULL;
  g_autofree char *xpath = NULL;
  g_autofree char *set = NULL;
  g_autofree char *hint = NULL;

  if (name == NULL)
    return;
  net = virNetworkLookupByName (vr_host_caps_get_connection (v->caps), name);
  if (net != NULL)
    return;
  what = g_strdup_printf ("network '%s'", name);
  if (lookup_failure (VIR_ERR_NO_NETWORK, &why) == LOOKUP_UNCHECKABLE)
    {
      report_uncheckable (v, iface, what, why);
      return;
    }
  xpath = vr_node_xpath (vr_node_find (iface, "source/@network"));
  set = vr_validation_hint_set_example (v, xpath, "OTHER");
  hint = g_strdup_printf ("define and start network '%s' here (virsh "
                          "net-define, net-start), or connect the interface "
                          "to another: %s", name, set);
  vr_validation_add (v, VR_FINDING_NETWORK, iface, hint,
                     "%s is not defined on this host", what);
}

/* Bridges and direct devices are the host's own interfaces. */
static void
check_host_interface (VrValidation *v, xmlNode *iface, const char *expr,
                      gboolean bridge)
{
  g_autofree char *name = vr_node_string (iface, expr);
  g_autofree char *sys = NULL;
  g_autofree char *what = NULL;

  if (name == NULL || strchr (name, '/') != NULL)
    return;
  what = g_strdup_printf ("%s '%s'", bridge ? "bridge" : "host interface",
                          name);
  if (!vr_host_caps_is_local (v->caps))
    {
      report_uncheckable (v, iface, what, "it is on another machine");
      return;
    }
  sys = g_strdup_printf ("/sys/class/net/%s%s", name, bridge ? "/bridge" : "");
  /* /sys/class/net is every user's to list: this tells a caller nothing
   * they could not see (and a name with '/' was not looked up). */
  if (access (sys, F_OK) == 0)
    return;
  vr_validation_add (v, VR_FINDING_HOST_INTERFACE, iface,
                     "create it on this host, or connect the interface to "
                     "one that exists (edit its <source>)",
                     "%s does not exist on this host", what);
}

static void
check_interface (VrValidation *v, xmlNode *iface)
{
  g_autofree char *type = vr_node_string (iface, "string(@type)");

  if (g_strcmp0 (type, "network") == 0)
    check_network (v, iface);
  else if (g_strcmp0 (type, "bridge") == 0)
    check_host_interface (v, iface, "string(source/@bridge)", TRUE);
  else if (g_strcmp0 (type, "direct") == 0)
    check_host_interface (v, iface, "string(source/@dev)", FALSE);
}

void
vr_validate_references (VrValidation *v)
{
  g_autoptr (xmlXPathObject) disks = vr_validation_select (
      v, "/domain/devices/disk");
  g_autoptr (xmlXPathObject) ifaces = vr_validation_select (
      v, "/domain/devices/interface");

  for (int i = 0; disks && i < disks->nodesetval->nodeNr; i++)
    {
      xmlNode *disk = disks->nodesetval->nodeTab[i];
      g_autofree char *type = vr_node_string (disk, "string(@type)");

      if (g_strcmp0 (type, "volume") == 0)
        check_volume (v, disk);
      else
        check_disk_file (v, disk);
    }
  for (int i = 0; ifaces && i < ifaces->nodesetval->nodeNr; i++)
    check_interface (v, ifaces->nodesetval->nodeTab[i]);
}

VrSeen
vr_validation_look (VrValidation *v, const char *path, int mode)
{
  g_autoptr (VrCaller) caller = NULL;
  g_autofree char *resolved = NULL;
  gboolean missing = FALSE;

  if (!v->options.caller_known)
    return access (path, mode) == 0 ? VR_SEEN_PRESENT : VR_SEEN_MISSING;
  if (!g_path_is_absolute (path))
    return VR_SEEN_HIDDEN; /* the agent's working directory is not theirs */
  caller = vr_caller_new (v->options.caller_uid);
  resolved = vr_caller_resolve (caller, path, &missing);
  if (resolved != NULL)
    return VR_SEEN_PRESENT;
  return missing ? VR_SEEN_MISSING : VR_SEEN_HIDDEN;
}
