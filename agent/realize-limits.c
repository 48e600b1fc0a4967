/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize-limits.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "domain-xml.h"
#include "errors.h"
#include "libvirt-util.h"
#include "qcow2.h"
#include "realize-journal.h"
#include "safe-xml.h"

#define MIB (1024 * 1024)
/* The longest backing chain a realize follows (realize-disks.c). */
#define MAX_CHAIN 16

/* What one realize or domain uses. */
typedef struct {
  guint domains;
  guint64 memory_kib;
  guint64 vcpus;
  guint64 bytes;
} Usage;

struct _VrRealizeHolds {
  GMutex lock;
  GList *holds; /* of VrRealizeHold */
};

struct _VrRealizeHold {
  VrRealizeHolds *holds;
  char *planned;
  guint uid;
  char *host; /* the connection's URI; NULL: unknown */
  Usage usage;
  GHashTable *sizes; /* relpath -> guint64 *: each file counted */
};

VrRealizeHolds *
vr_realize_holds_new (void)
{
  VrRealizeHolds *holds = g_new0 (VrRealizeHolds, 1);

  g_mutex_init (&holds->lock);
  return holds;
}

static void
hold_free (gpointer data)
{
  VrRealizeHold *hold = data;

  g_free (hold->planned);
  g_free (hold->host);
  g_clear_pointer (&hold->sizes, g_hash_table_unref);
  g_free (hold);
}

void
vr_realize_holds_free (VrRealizeHolds *holds)
{
  if (holds == NULL)
    return;
  /* A hold still out belongs to a job the agent drops with it. */
  for (GList *l = holds->holds; l != NULL; l = l->next)
    ((VrRealizeHold *) l->data)->holds = NULL;
  g_list_free (holds->holds);
  g_mutex_clear (&holds->lock);
  g_free (holds);
}

guint64
vr_realize_hold_get_bytes (const VrRealizeHold *hold)
{
  return hold->usage.bytes;
}

GHashTable *
vr_realize_hold_get_sizes (const VrRealizeHold *hold)
{
  return hold->sizes ? g_hash_table_ref (hold->sizes) : NULL;
}

void
vr_realize_hold_release (VrRealizeHold *hold)
{
  VrRealizeHolds *holds;

  if (hold == NULL)
    return;
  holds = hold->holds;
  if (holds != NULL)
    {
      g_mutex_lock (&holds->lock);
      holds->holds = g_list_remove (holds->holds, hold);
      g_mutex_unlock (&holds->lock);
    }
  hold_free (hold);
}

static void
usage_add (Usage *total, const Usage *one)
{
  total->domains += one->domains;
  total->memory_kib += one->memory_kib;
  total->vcpus += one->vcpus;
  total->bytes += one->bytes;
}

/* A disk the realize copies and its backing chain inside the import
 * directory, by their apparent sizes (what a copy of a sparse file may
 * come to once the guest writes it), a qcow2 image by its virtual size
 * when that is more: the guest fills the pool's copy up to it (sixth
 * review, F4: 1 TiB was charged as its 200 KiB header). Each file's
 * apparent size goes into sizes, which the copy holds it to. A file
 * that cannot be read is left to the realize, which refuses it. */
static guint64
chain_bytes (VrImportDir *dir, const char *relpath, guint depth,
             GHashTable *sizes)
{
  g_auto (VrQcow2Info) info = { 0 };
  g_autofree char *folder = NULL;
  g_autofree char *next = NULL;
  struct stat st;
  guint64 size;
  int fd;

  if (depth >= MAX_CHAIN)
    return 0;
  fd = vr_import_dir_open_file (dir, relpath, NULL);
  if (fd < 0)
    return 0;
  if (fstat (fd, &st) < 0)
    {
      close (fd);
      return 0;
    }
  vr_qcow2_read (fd, &info);
  close (fd);
  g_hash_table_insert (sizes, g_strdup (relpath),
                       g_memdup2 (&(guint64){ st.st_size }, sizeof (guint64)));
  size = MAX ((guint64) st.st_size, info.virtual_size);
  if (info.backing == NULL || strchr (info.backing, '/') != NULL)
    return size;
  folder = g_path_get_dirname (relpath);
  next = g_build_filename (folder, info.backing, NULL);
  return size + chain_bytes (dir, next, depth + 1, sizes);
}

/* What a realize of system writes into pools and libvirt's folders: the
 * save image's copy, the UEFI variables, the TPM state and, with
 * copy_disks, the disks inside the import directory (the sizes the
 * import recorded, and the disks' as they are now). */
static guint64
realize_bytes (VrPlannedSystem *system, const VrImportDir *given,
               gboolean copy_disks, GHashTable *sizes)
{
  guint64 bytes = vr_planned_system_get_nvram_size (system);
  g_autoptr (GPtrArray) disks = NULL;
  g_autoptr (VrImportDir) opened = NULL;
  const VrImportDir *dir = given;

  if (vr_planned_system_get_save_file (system) != NULL)
    bytes += vr_planned_system_get_save_size (system);
  /* Without the caller's descriptor the realize reads the folder by its
   * path (below TrustedImportDirs): so is it counted, when it is still
   * the folder imported. */
  if (dir == NULL && vr_planned_system_get_import_dir (system) != NULL)
    {
      opened = vr_import_dir_open (vr_planned_system_get_import_dir (system),
                                   NULL);
      if (opened != NULL && vr_planned_system_is_import_dir (system, opened))
        dir = opened;
    }
  if (dir == NULL)
    return bytes;
  for (guint i = 0; dir->tpm_files != NULL
                    && !vr_planned_system_get_tpm_discarded (system)
                    && i < dir->tpm_files->len; i++)
    bytes += ((VrImportFile *) dir->tpm_files->pdata[i])->size;
  if (!copy_disks)
    return bytes;
  disks = vr_xml_xpath_strings (vr_planned_system_get_doc (system),
                                "/domain/devices/disk/source/@file");
  for (guint i = 0; disks != NULL && i < disks->len; i++)
    if (!g_path_is_absolute (disks->pdata[i]))
      bytes += chain_bytes ((VrImportDir *) dir, disks->pdata[i], 0, sizes);
  return bytes;
}

/* What libvirt may give the guest, NUMA cells and hot-plug included
 * (sixth review, F3: a <memory> of 64 MiB with an 8 GiB NUMA cell is
 * an 8 GiB guest). */
static guint64
planned_memory_kib (VrPlannedSystem *system)
{
  return vr_domain_xml_get_memory_bound_kib (
      vr_planned_system_get_doc (system));
}

static Usage
system_usage (VrPlannedSystem *system, const VrImportDir *dir,
              gboolean copy_disks, GHashTable *sizes)
{
  Usage usage = { 1, planned_memory_kib (system),
                  vr_planned_system_get_vcpus (system),
                  realize_bytes (system, dir, copy_disks, sizes) };

  return usage;
}

/* A planned system realized, whose domain is not on this connection:
 * what its record says (the saved state and UEFI variables). */
static Usage
record_usage (VrPlannedSystem *system)
{
  Usage usage = { 1, planned_memory_kib (system),
                  vr_planned_system_get_vcpus (system),
                  vr_planned_system_get_nvram_size (system) };

  if (vr_planned_system_get_save_file (system) != NULL)
    usage.bytes += vr_planned_system_get_save_size (system);
  return usage;
}

static guint64
xpath_number (xmlDoc *doc, const char *expr)
{
  g_autofree char *text = vr_xml_xpath_string (doc, expr);

  return text != NULL ? g_ascii_strtoull (text, NULL, 10) : 0;
}

#define TAG "/domain/metadata/*[local-name()='" VR_REALIZE_METADATA_ELEMENT \
            "' and namespace-uri()='" VR_REALIZE_METADATA_NS "']"

/* Whose a domain is: the uid its tag names (a realize through the agent
 * writes it; the tag of any other XML is replaced, so a caller cannot
 * name another), else the owner of the planned system its tag names. */
static gboolean
domain_owner (xmlDoc *doc, GHashTable *owners, guint *uid, char **planned)
{
  g_autofree char *owner = vr_xml_xpath_string (doc, "string(" TAG "/@owner)");
  gpointer found;

  *planned = vr_xml_xpath_string (doc, "string(" TAG "/@planned)");
  if (*planned == NULL || **planned == '\0')
    return FALSE;
  if (owner != NULL && *owner != '\0')
    {
      guint64 value;

      if (!g_ascii_string_to_unsigned (owner, 10, 0, G_MAXUINT, &value, NULL))
        return FALSE;
      *uid = value;
      return TRUE;
    }
  if (!g_hash_table_lookup_extended (owners, *planned, NULL, &found))
    return FALSE;
  *uid = GPOINTER_TO_UINT (found);
  return TRUE;
}

/* The domains on conn that are uid's, with what their XML says they use;
 * their planned systems' UUIDs go into seen. */
static gboolean
count_domains (virConnectPtr conn, guint uid, GHashTable *owners,
               GHashTable *seen, Usage *total, GError **error)
{
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains (conn, &doms, 0);

  if (n < 0)
    {
      vr_libvirt_set_error (error, "cannot list the domains to count uid "
                            "%u's", uid);
      return FALSE;
    }
  for (int i = 0; i < n; i++)
    {
      g_autofree char *xml = virDomainGetXMLDesc (doms[i],
                                                  VIR_DOMAIN_XML_INACTIVE);
      g_autoptr (xmlDoc) doc = NULL;
      g_autofree char *planned = NULL;
      guint owner = 0;

      /* Undefined since it was listed: it holds nothing any more. */
      if (xml != NULL)
        doc = vr_xml_parse_buffer (xml, strlen (xml), "domain XML", NULL,
                                   NULL);
      if (doc != NULL && domain_owner (doc, owners, &owner, &planned)
          && owner == uid)
        {
          Usage usage = {
            1, vr_domain_xml_get_memory_bound_kib (doc),
            xpath_number (doc, "string(/domain/vcpu)"),
            xpath_number (doc, "string(" TAG "/@bytes)")
          };

          usage_add (total, &usage);
          g_hash_table_add (seen, g_steal_pointer (&planned));
        }
      virDomainFree (doms[i]);
    }
  virResetLastError ();
  free (doms);
  return TRUE;
}

/* Limits are per host: each host's guests take that host's memory and
 * CPUs. A record or hold whose host is unknown counts on every host. */
static gboolean
same_host (const char *a, const char *b)
{
  return a == NULL || b == NULL || g_str_equal (a, b);
}

static gboolean
counts (VrPlannedSystem *system, guint uid)
{
  VrPlannedState state = vr_planned_system_get_state (system);
  guint owner = 0;

  return (state == VR_PLANNED_STATE_REALIZED
          || state == VR_PLANNED_STATE_REALIZING)
         && vr_planned_system_get_owner (system, &owner) && owner == uid;
}

/* What uid holds on host (conn's URI) besides system: its domains there,
 * its realizes held there, and its planned systems realized or realizing
 * there whose domain is not on conn (one undefined behind the agent's
 * back: the record still says it is there; one whose record names no
 * host counts on each). Each planned system once. Under the lock. */
static gboolean
count_held (VrRealizeHolds *holds, VrStore *store, virConnectPtr conn,
            const char *host, VrPlannedSystem *system, guint uid,
            Usage *total, GError **error)
{
  g_autoptr (GPtrArray) all = vr_store_list (store, error);
  g_autoptr (GHashTable) owners = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash,
                                                       g_str_equal, g_free,
                                                       NULL);
  const char *uuid = vr_planned_system_get_uuid (system);

  if (all == NULL)
    return FALSE;
  owners = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < all->len; i++)
    {
      guint owner;

      if (vr_planned_system_get_owner (all->pdata[i], &owner))
        g_hash_table_insert (owners,
                             (gpointer) vr_planned_system_get_uuid (
                                 all->pdata[i]),
                             GUINT_TO_POINTER (owner));
    }
  if (conn != NULL
      && !count_domains (conn, uid, owners, seen, total, error))
    return FALSE;
  for (GList *l = holds->holds; l != NULL; l = l->next)
    {
      VrRealizeHold *hold = l->data;

      if (hold->uid == uid && same_host (hold->host, host)
          && !g_hash_table_contains (seen, hold->planned))
        {
          usage_add (total, &hold->usage);
          g_hash_table_add (seen, g_strdup (hold->planned));
        }
    }
  for (guint i = 0; i < all->len; i++)
    {
      const char *other = vr_planned_system_get_uuid (all->pdata[i]);

      if (!g_str_equal (other, uuid) && counts (all->pdata[i], uid)
          && same_host (vr_planned_system_get_connection (all->pdata[i]),
                        host)
          && !g_hash_table_contains (seen, other))
        {
          Usage usage = record_usage (all->pdata[i]);

          usage_add (total, &usage);
        }
    }
  return TRUE;
}

/* The defaults that follow the host: its memory, 4 vCPUs per CPU. */
static void
host_defaults (virConnectPtr conn, guint64 *memory_mib, guint64 *vcpus)
{
  virNodeInfo info;

  *memory_mib = G_MAXUINT64;
  *vcpus = G_MAXUINT64;
  if (conn == NULL)
    return;
  if (virNodeGetInfo (conn, &info) < 0)
    {
      virResetLastError ();
      return;
    }
  *memory_mib = info.memory / 1024;
  *vcpus = (guint64) info.cpus * VR_REALIZE_LIMITS_VCPU_RATIO;
}

static gboolean
within (const VrRealizeLimits *limits, virConnectPtr conn, guint uid,
        const Usage *held, const Usage *asked, const char *config_path,
        GError **error)
{
  const char *file = config_path ? config_path : "agent.conf";
  guint64 max_mib = limits->max_memory_mib;
  guint64 max_vcpus = limits->max_vcpus;
  guint64 host_mib;
  guint64 host_vcpus;
  guint64 mib = (held->memory_kib + asked->memory_kib) / 1024;
  guint64 vcpus = held->vcpus + asked->vcpus;
  guint64 disk_mib = (held->bytes + asked->bytes + MIB - 1) / MIB;

  host_defaults (conn, &host_mib, &host_vcpus);
  if (max_mib == 0)
    max_mib = host_mib;
  if (max_vcpus == 0)
    max_vcpus = host_vcpus;
  if (held->domains + 1 > limits->max_domains)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "uid %u holds %u domain%s realized or being realized "
                 "through the agent, the most %s allows one user "
                 "(MaxDomainsPerUser=%u); a domain counts until it is "
                 "undefined (destroying its planned system leaves it): ask "
                 "an administrator", uid, held->domains,
                 held->domains == 1 ? "" : "s", file, limits->max_domains);
  else if (mib > max_mib)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "uid %u would have %" G_GUINT64_FORMAT " MiB of guest "
                 "memory realized, more than %s allows one user "
                 "(MaxMemoryPerUser=%" G_GUINT64_FORMAT " MiB%s)", uid, mib,
                 file, max_mib, limits->max_memory_mib ? "" : ", the host's");
  else if (vcpus > max_vcpus)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "uid %u would have %" G_GUINT64_FORMAT " vCPUs realized, "
                 "more than %s allows one user (MaxVcpusPerUser=%"
                 G_GUINT64_FORMAT "%s)", uid, vcpus, file, max_vcpus,
                 limits->max_vcpus ? "" : ", 4 per host CPU");
  else if (limits->max_disk_mib != 0 && disk_mib > limits->max_disk_mib)
    g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                 "uid %u would have %" G_GUINT64_FORMAT " MiB of files "
                 "realized (this realize writes %" G_GUINT64_FORMAT " MiB), "
                 "more than %s allows one user (MaxDiskPerUser=%"
                 G_GUINT64_FORMAT " MiB)", uid, disk_mib,
                 (asked->bytes + MIB - 1) / MIB, file, limits->max_disk_mib);
  else
    return TRUE;
  return FALSE;
}

/* The URI the realize records for the domain (realize.c,
 * record_connection): what a planned system's record is matched by. */
static char *
host_uri (virConnectPtr conn)
{
  char *uri = conn ? virConnectGetURI (conn) : NULL;
  char *copy = g_strdup (uri);

  if (conn != NULL && uri == NULL)
    virResetLastError ();
  free (uri);
  return copy;
}

VrRealizeHold *
vr_realize_limits_hold (const VrRealizeLimits *limits, VrRealizeHolds *holds,
                        VrStore *store, virConnectPtr conn,
                        VrPlannedSystem *system, const VrImportDir *dir,
                        gboolean copy_disks, guint uid,
                        const char *config_path, GError **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  VrRealizeHold *hold = g_new0 (VrRealizeHold, 1);
  Usage held = { 0 };

  hold->planned = g_strdup (vr_planned_system_get_uuid (system));
  hold->uid = uid;
  hold->host = host_uri (conn);
  hold->sizes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       g_free);
  hold->usage = system_usage (system, dir, copy_disks, hold->sizes);
  /* Root's realize has no limit, so nothing to hold its copies to;
   * anyone else's copies only what was counted (none, when the folder
   * could not be read). */
  if (uid == 0 || !copy_disks)
    g_clear_pointer (&hold->sizes, g_hash_table_unref);
  locker = g_mutex_locker_new (&holds->lock);
  if (uid != 0
      && (!count_held (holds, store, conn, hold->host, system, uid, &held,
                       error)
          || !within (limits, conn, uid, &held, &hold->usage, config_path,
                      error)))
    {
      hold_free (hold);
      return NULL;
    }
  hold->holds = holds;
  holds->holds = g_list_prepend (holds->holds, hold);
  return hold;
}
