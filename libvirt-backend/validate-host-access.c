/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host-access policy (host-access.c) applied to a validation: the
 * planned XML and the save image's own XML are checked against the
 * directories a realize on this connection may use. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xpath.h>

#include "caller-access.h"
#include "host-access.h"
#include "libvirt-util.h"
#include "safe-xml.h"
#include "snapshots.h"
#include "handoff.h"
#include "import-firmware.h"
#include "qcow2.h"
#include "save-image.h"
#include "state-paths.h"
#include "validate-private.h"

static void
add_dir (GPtrArray *dirs, const char *first, ...)
{
  va_list ap;
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();

  va_start (ap, first);
  for (const char *part = first; part != NULL; part = va_arg (ap, const char *))
    g_ptr_array_add (parts, (char *) part);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  g_ptr_array_add (dirs, g_build_filenamev ((char **) parts->pdata));
}

/* The embedded driver's root, or NULL for another URI. */
static char *
embedded_root (const char *uri)
{
  g_autoptr (GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr (GHashTable) params = NULL;
  const char *query;

  if (parsed == NULL || !g_str_equal (g_uri_get_path (parsed), "/embed"))
    return NULL;
  query = g_uri_get_query (parsed);
  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL || g_hash_table_lookup (params, "root") == NULL)
    return NULL;
  return g_strdup (g_hash_table_lookup (params, "root"));
}

/* Where libvirt keeps its guests' disks and state for this connection:
 * QEMU runs as one user for every guest, so a file there is another
 * guest's (an image, a variable store, a TPM state, a saved state). */
static void
add_storage_dirs (GPtrArray *dirs, virConnectPtr conn)
{
  g_autofree char *uri = conn ? virConnectGetURI (conn) : NULL;
  g_autofree char *root = uri ? embedded_root (uri) : NULL;
  char *state[] = { vr_handoff_save_dir (conn), vr_state_nvram_dir (conn),
                    vr_state_swtpm_dir (conn) };

  for (guint i = 0; i < G_N_ELEMENTS (state); i++)
    if (state[i] != NULL)
      g_ptr_array_add (dirs, state[i]);
  if (uri == NULL || g_str_has_prefix (uri, "test:"))
    return;
  if (root != NULL)
    add_dir (dirs, root, "lib", "libvirt", "images", NULL);
  else if (g_str_has_suffix (uri, "/session"))
    add_dir (dirs, g_get_user_data_dir (), "libvirt", "images", NULL);
  else
    add_dir (dirs, "/var/lib/libvirt/images", NULL);
}

/* Where libvirt keeps what a running guest uses (channel sockets,
 * per-domain folders): a save image's XML is a running guest's, and
 * those paths are libvirt's own, not the caller's. */
static void
add_state_dirs (GPtrArray *dirs, virConnectPtr conn)
{
  g_autofree char *uri = conn ? virConnectGetURI (conn) : NULL;
  g_autofree char *root = uri ? embedded_root (uri) : NULL;

  if (uri == NULL || g_str_has_prefix (uri, "test:"))
    return;
  if (root != NULL)
    {
      add_dir (dirs, root, "lib", "qemu", NULL);
      add_dir (dirs, root, "run", "qemu", NULL);
    }
  else if (g_str_has_suffix (uri, "/session"))
    {
      add_dir (dirs, g_get_user_config_dir (), "libvirt", "qemu", "lib",
               NULL);
      add_dir (dirs, g_get_user_runtime_dir (), "libvirt", "qemu", NULL);
    }
  else
    {
      add_dir (dirs, "/var/lib/libvirt/qemu", NULL);
      add_dir (dirs, "/run/libvirt/qemu", NULL);
    }
}

/* Every emulator the host's capabilities list, or NULL when they cannot
 * be read (validate-platform says so). */
static GPtrArray *
caps_emulators (VrHostCaps *caps)
{
  const VrCaps *host = vr_host_caps_get_caps (caps, NULL);
  GPtrArray *emulators;

  if (host == NULL)
    return NULL;
  emulators = g_ptr_array_new ();
  for (guint i = 0; i < host->guests->len; i++)
    {
      const VrGuestCaps *guest = host->guests->pdata[i];

      if (guest->emulator != NULL)
        g_ptr_array_add (emulators, guest->emulator);
      for (guint j = 0; guest->domains && j < guest->domains->len; j++)
        {
          const VrGuestDomain *domain = guest->domains->pdata[j];

          if (domain->emulator != NULL)
            g_ptr_array_add (emulators, domain->emulator);
        }
    }
  g_ptr_array_add (emulators, NULL);
  return emulators;
}

/* A libvirt storage volume is some guest's disk; connections without a
 * storage driver know none. */
static gboolean
is_volume (const char *path, gpointer data)
{
  g_autoptr (virStorageVol) vol = virStorageVolLookupByPath (data, path);

  virResetLastError ();
  return vol != NULL;
}

typedef struct {
  GPtrArray *dirs;       /* allowed in place: the import directory, for a
                            caller with the host-access right only */
  GPtrArray *own;        /* the caller's own: the import directory */
  GPtrArray *state_dirs; /* libvirt's running-guest folders: allowed for
                            the image's sockets and files, never for its
                            boot files (host-access.h) */
  GPtrArray *storage;    /* other guests' data */
  GPtrArray *emulators;
  GPtrArray *bridges;    /* the administrator's */
  GArray *networks;      /* the connection's, or NULL */
  char *nvram_dir;
  char *nvram_own;   /* NVRAM_DIR/NAME_VARS.fd of the planned name */
  char *author_what; /* set when the author's rights deny host access */
  VrCaller *caller;  /* the agent's caller, or NULL in-process */
  VrHostAccessPolicy policy;
} Policy;

static void
policy_clear (Policy *p)
{
  g_clear_pointer (&p->dirs, g_ptr_array_unref);
  g_clear_pointer (&p->own, g_ptr_array_unref);
  g_clear_pointer (&p->state_dirs, g_ptr_array_unref);
  g_clear_pointer (&p->storage, g_ptr_array_unref);
  g_clear_pointer (&p->emulators, g_ptr_array_unref);
  g_clear_pointer (&p->bridges, g_ptr_array_unref);
  g_clear_pointer (&p->networks, g_array_unref);
  g_clear_pointer (&p->nvram_dir, g_free);
  g_clear_pointer (&p->nvram_own, g_free);
  g_clear_pointer (&p->author_what, g_free);
  g_clear_pointer (&p->caller, vr_caller_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Policy, policy_clear)

static GPtrArray *
dirs_for (virConnectPtr conn, const char *import_dir, gboolean state)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);

  if (import_dir != NULL)
    g_ptr_array_add (dirs, g_canonicalize_filename (import_dir, "/"));
  if (state)
    add_state_dirs (dirs, conn);
  g_ptr_array_add (dirs, NULL);
  return dirs;
}

/* The target pool too: the realize's own copies go there, but what the
 * planned XML names there is already someone's. */
static GPtrArray *
storage_for (virConnectPtr conn, const VrValidateOptions *options)
{
  GPtrArray *dirs = g_ptr_array_new_with_free_func (g_free);

  if (options->pool_dir != NULL)
    g_ptr_array_add (dirs, g_canonicalize_filename (options->pool_dir, "/"));
  if (conn != NULL)
    add_storage_dirs (dirs, conn);
  g_ptr_array_add (dirs, NULL);
  return dirs;
}

/* The bridges the administrator listed for guests (options->bridges);
 * libvirt's own networks' bridges are the policy's to judge (from
 * networks_for). */
static GPtrArray *
bridges_for (const VrValidateOptions *options)
{
  GPtrArray *bridges = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; options->bridges && options->bridges[i]; i++)
    g_ptr_array_add (bridges, g_strdup (options->bridges[i]));
  g_ptr_array_add (bridges, NULL);
  return bridges;
}

static void
network_clear (gpointer data)
{
  VrHostNetwork *network = data;

  g_free ((char *) network->name);
  g_free ((char *) network->forward);
  g_free ((char *) network->bridge);
}

/* One network as its XML says; FALSE when the XML does not read (it is
 * then left out, so joining it is refused). */
static gboolean
network_read (virNetworkPtr net, VrHostNetwork *out)
{
  g_autofree char *xml = virNetworkGetXMLDesc (net, 0);
  g_autoptr (xmlDoc) doc = NULL;

  virResetLastError ();
  if (xml == NULL)
    return FALSE;
  doc = vr_xml_parse_buffer (xml, strlen (xml), "network XML", "network",
                             NULL);
  if (doc == NULL)
    return FALSE;
  out->name = vr_xml_xpath_string (doc, "string(/network/name)");
  if (out->name == NULL)
    return FALSE;
  /* A <forward> without mode is NAT (formatnetwork). */
  if (vr_xml_xpath_node (doc, "/network/forward") != NULL)
    {
      out->forward = vr_xml_xpath_string (doc,
                                          "string(/network/forward/@mode)");
      if (out->forward == NULL)
        out->forward = g_strdup ("nat");
    }
  out->bridge = vr_xml_xpath_string (doc, "string(/network/bridge/@name)");
  return TRUE;
}

/* The connection's networks (for VrHostAccessPolicy.networks, ending in
 * a nameless one), or NULL when it has no network driver (an embedded
 * root, where no <interface type='network'> can start). Any other
 * failure to list them lists none: every network is then refused. */
static GArray *
networks_for (virConnectPtr conn)
{
  GArray *networks;
  virNetworkPtr *nets = NULL;
  VrHostNetwork end = { 0 };
  int n;

  if (conn == NULL)
    return NULL;
  n = virConnectListAllNetworks (conn, &nets, 0);
  if (n < 0 && virGetLastErrorCode () == VIR_ERR_NO_SUPPORT)
    {
      virResetLastError ();
      return NULL;
    }
  virResetLastError ();
  networks = g_array_new (FALSE, TRUE, sizeof (VrHostNetwork));
  g_array_set_clear_func (networks, network_clear);
  for (int i = 0; i < n; i++)
    {
      VrHostNetwork network = { 0 };

      if (network_read (nets[i], &network))
        g_array_append_val (networks, network);
      else
        network_clear (&network);
      virNetworkFree (nets[i]);
    }
  free (nets);
  g_array_append_val (networks, end);
  return networks;
}

/* The caller's right to reach the host never covers an XML another user
 * wrote: then the findings are errors, and say whose XML it is. */
static gboolean
author_denies (VrPlannedSystem *system, const VrValidateOptions *options,
               char **what)
{
  guint caller = options->caller_known ? options->caller_uid : getuid ();
  guint author = 0;

  if (system == NULL || !options->host_access_allowed
      || vr_planned_system_author_may_reach_host (system, caller))
    return FALSE;
  if (vr_planned_system_get_author (system, &author))
    *what = g_strdup_printf ("the planned XML (written by uid %u, not by "
                             "root or the caller uid %u, so the caller's "
                             "host-access right does not cover it): ",
                             author, caller);
  else
    *what = g_strdup ("the planned XML (its author is not recorded, so the "
                      "caller's host-access right does not cover it): ");
  return TRUE;
}

gboolean
vr_validation_emulators_listed (VrHostCaps *caps, xmlDoc *doc)
{
  g_autoptr (GPtrArray) emulators = caps_emulators (caps);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/emulator", ctxt);

  if (emulators == NULL || obj == NULL)
    return FALSE;
  for (int i = 0; obj->nodesetval != NULL && i < obj->nodesetval->nodeNr;
       i++)
    {
      xmlChar *text = xmlNodeGetContent (obj->nodesetval->nodeTab[i]);
      gboolean found = FALSE;

      for (guint e = 0; text != NULL && emulators->pdata[e] != NULL; e++)
        found = found || g_str_equal ((const char *) text,
                                      emulators->pdata[e]);
      xmlFree (text);
      if (!found)
        return FALSE;
    }
  return TRUE;
}

/* Whether realize will put a carried store in place and name it in
 * <nvram>, whatever the planned XML says: what the planned system
 * recorded at import, as place_nvram reads it, never the folder as it is
 * now (a store dropped in after the import made any <nvram> path pass,
 * and realize then kept that path: twelfth review, F0). A folder
 * validated without a planned system is what an import would record. */
static gboolean
nvram_carried (VrPlannedSystem *system, VrImportDir *dir, xmlDoc *planned)
{
  if (system != NULL)
    return vr_planned_system_get_nvram_file (system) != NULL
           && vr_domain_uses_nvram (planned);
  return dir != NULL && dir->nvram != NULL;
}

static void
policy_init (Policy *p, VrHostCaps *caps, const VrValidateOptions *options,
             VrPlannedSystem *system, VrImportDir *dir, xmlDoc *planned,
             gboolean allowed)
{
  virConnectPtr conn = vr_host_caps_get_connection (caps);
  g_autofree char *name
      = vr_xml_xpath_string (planned, "string(/domain/name)");
  const char *import_dir = dir ? dir->path : NULL;
  /* Without the right, nothing in the caller's folder is handed to
   * libvirt by path: the caller could swap it for a link (or leave a
   * dangling one) between the check and QEMU's open, at this start or
   * any later one. Carried files are copied into the pool instead. */
  const char *in_place = allowed ? import_dir : NULL;

  p->dirs = dirs_for (conn, in_place, FALSE);
  p->own = dirs_for (conn, import_dir, FALSE);
  p->state_dirs = dirs_for (conn, NULL, TRUE);
  p->policy.inplace_dirs = (const char *const *) p->own->pdata;
  p->storage = storage_for (conn, options);
  p->nvram_dir = conn ? vr_state_nvram_dir (conn) : NULL;
  p->emulators = caps_emulators (caps);
  p->bridges = bridges_for (options);
  p->policy.bridges = (const char *const *) p->bridges->pdata;
  p->networks = networks_for (conn);
  p->policy.networks = p->networks
                           ? (const VrHostNetwork *) p->networks->data
                           : NULL;
  p->policy.storage_dirs = (const char *const *) p->storage->pdata;
  p->policy.nvram_dir = p->nvram_dir;
  p->nvram_own = conn && name && *name ? vr_state_nvram_path (conn, name)
                                       : NULL;
  p->policy.nvram_own = p->nvram_own;
  p->policy.nvram_carried = nvram_carried (system, dir, planned);
  p->policy.emulators = p->emulators
                            ? (const char *const *) p->emulators->pdata
                            : NULL;
  p->policy.is_volume = conn ? is_volume : NULL;
  p->policy.data = conn;
  p->policy.severity = allowed ? VR_SEVERITY_WARNING : VR_SEVERITY_ERROR;
  /* The agent's caller learns of their paths only what they could see
   * themself (root's lookups decide, never tell). */
  if (options->caller_known)
    p->caller = vr_caller_new (options->caller_uid);
  p->policy.caller = p->caller;
}

static void
remove_nodes (xmlDoc *doc, const char *expr)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = xmlXPathEvalExpression (
      (const xmlChar *) expr, ctxt);

  if (obj == NULL || obj->nodesetval == NULL)
    return;
  /* Last first: a later node may lie inside an earlier one. */
  for (int i = obj->nodesetval->nodeNr - 1; i >= 0; i--)
    {
      xmlNode *node = obj->nodesetval->nodeTab[i];

      xmlUnlinkNode (node);
      xmlFreeNode (node);
    }
}

/* The header the directory read when it was opened: the very XML a
 * realize takes the <os> from (update_image_xml reads dir->save). Read
 * afresh only when the directory did not read it: the caller owns the
 * file and may rewrite it between two reads (tenth review, F2). */
static char *
image_xml_of (VrImportDir *dir, const char *save_file)
{
  g_autoptr (VrSaveImage) image = NULL;
  int fd;

  if (dir->save != NULL && g_strcmp0 (dir->save_file, save_file) == 0)
    return g_strdup (dir->save->xml);
  fd = vr_import_dir_open_file (dir, save_file, NULL);
  if (fd < 0)
    return NULL;
  image = vr_save_image_read_fd (fd, save_file, NULL);
  close (fd);
  return image ? g_strdup (image->xml) : NULL;
}

/* The save image's XML as realize leaves it: disk and interface sources
 * are replaced by the planned XML's before the hand-off, and the NVRAM
 * path by this host's (vr_realize_image_xml), so the source host's paths
 * in them are no request for this host's. The NVRAM's template stays
 * (libvirt copies it when the store is missing). NULL when the
 * image cannot be read (validate-saved reports why). */
static xmlDoc *
read_image_doc (VrImportDir *dir, const char *save_file)
{
  g_autofree char *xml = NULL;
  g_autoptr (xmlDoc) doc = NULL;

  if (dir == NULL || save_file == NULL)
    return NULL;
  xml = image_xml_of (dir, save_file);
  if (xml == NULL)
    return NULL;
  doc = vr_xml_parse_buffer (xml, strlen (xml), save_file, "domain", NULL);
  if (doc != NULL)
    remove_nodes (doc, "/domain/devices/disk/source"
                              " | /domain/devices/disk//backingStore"
                              " | /domain/devices/interface/source"
                              " | /domain/os/nvram/text()");
  return g_steal_pointer (&doc);
}

/* The longest chain followed (realize-disks follows as many). */
#define MAX_CHAIN 16

/* The file of a carried chain whose qcow2 header names an external data
 * file, or NULL: QEMU opens that file read-write as the disk's data,
 * wherever it lies and whoever's it is, and a copy keeps the header. */
static char *
chain_data_file (VrImportDir *dir, const char *relpath)
{
  g_autofree char *current = g_strdup (relpath);

  for (guint depth = 0; current != NULL && depth < MAX_CHAIN; depth++)
    {
      g_auto (VrQcow2Info) info = { 0 };
      g_autofree char *folder = NULL;
      int fd = vr_import_dir_open_file (dir, current, NULL);

      /* A missing or unreadable file is validate-refs' finding. */
      if (fd < 0)
        return NULL;
      vr_qcow2_read (fd, &info);
      close (fd);
      if (info.data_file)
        return g_steal_pointer (&current);
      /* A backing file not beside it is refused by realize-disks. */
      if (info.backing == NULL || strchr (info.backing, '/') != NULL
          || strchr (info.backing, ':') != NULL)
        return NULL;
      folder = g_path_get_dirname (current);
      g_free (current);
      current = g_build_filename (folder, info.backing, NULL);
    }
  return NULL;
}

static void
check_data_files (xmlDoc *planned, VrImportDir *dir, const Policy *p,
                  GPtrArray *findings)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (planned);
  g_autoptr (xmlXPathObject) files = xmlXPathEvalExpression (
      (const xmlChar *) "/domain/devices/disk/source/@file", ctxt);

  for (int i = 0; dir != NULL && files != NULL && files->nodesetval != NULL
                  && i < files->nodesetval->nodeNr; i++)
    {
      xmlNode *attr = files->nodesetval->nodeTab[i];
      g_autofree char *file = (char *) xmlNodeGetContent (attr);
      g_autofree char *culprit = NULL;
      g_autofree char *source = NULL;
      VrFinding *finding;

      if (file == NULL || g_path_is_absolute (file))
        continue;
      culprit = chain_data_file (dir, file);
      if (culprit == NULL)
        continue;
      source = (char *) xmlGetNodePath (attr);
      finding = vr_findings_add (
          findings, VR_FINDING_HOST_PATH, source,
          "carry the disk as one qcow2 or raw image without an external "
          "data file (qemu-img convert -O qcow2), or have an administrator "
          "realize it (the host-access right, polkit action "
          "org.virtrealize.Realize1.realize-host-access)",
          "%sdisk %s: %s is a qcow2 image with an external data file, "
          "which QEMU would open read-write wherever its header points "
          "(any host file)", p->policy.what ? p->policy.what : "", file,
          culprit);
      finding->severity = p->policy.severity;
      finding->line = (int) xmlGetLineNo (attr->parent);
    }
}

/* What a carried snapshot gives libvirt, as a domain XML the policy
 * reads: its <domain> (what a revert defines and starts) with its
 * <disks> (the external snapshot files a revert opens) added as disks
 * and its external <memory file> (the state a revert loads, libvirt 9.9
 * and later) as a second /domain/memory, which the policy judges. */
static xmlDoc *
snapshot_as_domain (xmlDoc *snapshot)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *domain = vr_xml_xpath_node (snapshot, "/domainsnapshot/domain");
  xmlNode *memory = vr_xml_xpath_node (snapshot,
                                       "/domainsnapshot/memory[@file]");
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (snapshot);
  g_autoptr (xmlXPathObject) disks = xmlXPathEvalExpression (
      (const xmlChar *) "/domainsnapshot/disks/disk[source]", ctxt);
  xmlNode *root = domain != NULL ? xmlDocCopyNode (domain, doc, 1)
                                 : xmlNewDocNode (doc, NULL,
                                                  (const xmlChar *) "domain",
                                                  NULL);
  xmlNode *devices;

  xmlDocSetRootElement (doc, root);
  devices = vr_xml_xpath_node (doc, "/domain/devices");
  if (devices == NULL)
    devices = xmlNewChild (root, NULL, (const xmlChar *) "devices", NULL);
  for (int i = 0; disks != NULL && disks->nodesetval != NULL
                  && i < disks->nodesetval->nodeNr; i++)
    xmlAddChild (devices,
                 xmlDocCopyNode (disks->nodesetval->nodeTab[i], doc, 1));
  if (memory != NULL)
    xmlAddChild (root, xmlDocCopyNode (memory, doc, 1));
  return g_steal_pointer (&doc);
}

/* A snapshot's <inactiveDomain> (the definition a revert of a running
 * snapshot leaves as the domain's own) as a domain XML, or NULL. It was
 * judged by nobody (fourth blind review, F3). */
static xmlDoc *
snapshot_inactive_as_domain (xmlDoc *snapshot)
{
  xmlNode *inactive = vr_xml_xpath_node (snapshot,
                                         "/domainsnapshot/inactiveDomain");
  g_autoptr (xmlDoc) doc = NULL;
  xmlNode *root;

  if (inactive == NULL)
    return NULL;
  doc = xmlNewDoc ((const xmlChar *) "1.0");
  root = xmlDocCopyNode (inactive, doc, 1);
  xmlNodeSetName (root, (const xmlChar *) "domain");
  xmlDocSetRootElement (doc, root);
  return g_steal_pointer (&doc);
}

/* Each carried snapshot (snapshots/N.xml) as the planned XML is judged:
 * realize redefines it, and an administrator's ordinary revert defines
 * and starts what it holds. Judged as read when the folder was opened,
 * which is what the realize redefines (realize-snapshots.c). */
static void
check_snapshots (VrImportDir *dir, Policy *p, GPtrArray *findings)
{
  /* A folder opened only to be looked into (by path, nothing read yet):
   * its snapshots' index is read here. One that does not read is the
   * realize's error when it reads the folder. */
  if (dir != NULL && dir->doc == NULL && dir->snapshots == NULL
      && !vr_import_dir_read_snapshots (dir, NULL))
    g_clear_pointer (&dir->snapshots, g_ptr_array_unref);
  for (guint i = 0; dir != NULL && dir->snapshots != NULL
                    && i < dir->snapshots->len; i++)
    {
      const VrImportSnapshot *snapshot = dir->snapshots->pdata[i];
      g_autofree char *what = NULL;
      g_autofree char *inactive_what = NULL;
      g_autoptr (xmlDoc) domain = NULL;
      g_autoptr (xmlDoc) inactive = NULL;

      if (snapshot->doc == NULL)
        continue;
      domain = snapshot_as_domain (snapshot->doc);
      what = g_strdup_printf ("%ssnapshot '%s' (%s): ",
                              p->author_what ? p->author_what : "",
                              snapshot->name, snapshot->relpath);
      p->policy.what = what;
      vr_host_access_check (domain, &p->policy, findings);
      inactive = snapshot_inactive_as_domain (snapshot->doc);
      if (inactive != NULL)
        {
          inactive_what = g_strdup_printf ("%sinactiveDomain: ", what);
          p->policy.what = inactive_what;
          vr_host_access_check (inactive, &p->policy, findings);
        }
      p->policy.what = NULL;
    }
}

static void
check (VrHostCaps *caps, VrPlannedSystem *system, xmlDoc *planned,
       VrImportDir *dir, const char *save_file,
       const VrValidateOptions *options, GPtrArray *findings)
{
  g_auto (Policy) p = { 0 };
  g_autoptr (xmlDoc) image = read_image_doc (dir, save_file);
  gboolean denied = author_denies (system, options, &p.author_what);

  policy_init (&p, caps, options, system, dir, planned,
               options->host_access_allowed && !denied);
  p.policy.allowed_dirs = (const char *const *) p.dirs->pdata;
  p.policy.what = p.author_what;
  vr_host_access_check (planned, &p.policy, findings);
  check_data_files (planned, dir, &p, findings);
  check_snapshots (dir, &p, findings);
  p.policy.what = p.author_what;
  if (image == NULL)
    return;
  p.policy.state_dirs = (const char *const *) p.state_dirs->pdata;
  p.policy.running = TRUE;
  p.policy.what = "the save image's XML: ";
  vr_host_access_check (image, &p.policy, findings);
}

/* An emulator the platform checks refused already (not present, or not
 * this host's for the arch) is one problem with one fix: that finding. */
static void
drop_refused_emulator (GPtrArray *findings, guint from)
{
  VrFinding *platform = vr_findings_find (findings, VR_FINDING_EMULATOR);

  if (platform == NULL || platform->severity != VR_SEVERITY_ERROR)
    return;
  for (guint i = findings->len; i > from; i--)
    {
      VrFinding *finding = findings->pdata[i - 1];

      if (g_str_equal (finding->id, VR_FINDING_HOST_EMULATOR)
          && g_strcmp0 (finding->source, platform->source) == 0
          && g_str_has_prefix (finding->message, "<"))
        g_ptr_array_remove_index (findings, i - 1);
    }
}

void
vr_validate_host_access_run (VrValidation *v)
{
  guint from = v->findings->len;

  check (v->caps, v->system, v->doc, v->dir,
         v->check_save ? v->save_file : NULL, &v->options, v->findings);
  drop_refused_emulator (v->findings, from);
}

GPtrArray *
vr_validate_host_access (VrHostCaps *caps, VrPlannedSystem *system,
                         const VrValidateOptions *options, GError **error)
{
  static const VrValidateOptions defaults = { 0 };
  g_autoptr (GPtrArray) findings = vr_findings_new ();
  g_autoptr (VrImportDir) opened = NULL;

  /* The directory the caller handed over (and the realize will read),
   * never one put at its path since: by path only in-process. */
  if (options == NULL || options->import_dir == NULL)
    opened = vr_validation_open_dir (
        vr_planned_system_get_import_dir (system));
  if (opened != NULL && options != NULL && options->caller_known)
    {
      g_autoptr (VrCaller) caller = vr_caller_new (options->caller_uid);

      vr_import_dir_set_caller (opened, caller);
    }
  check (caps, system, vr_planned_system_get_doc (system),
         options && options->import_dir ? options->import_dir : opened,
         vr_planned_system_get_save_file (system),
         options ? options : &defaults, findings);
  return g_steal_pointer (&findings);
}
