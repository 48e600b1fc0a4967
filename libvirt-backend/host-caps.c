/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "host-caps.h"

#include <string.h>

#include "errors.h"
#include "libvirt-util.h"

/* One cached answer: what libvirt gave, or why it gave nothing. */
typedef struct {
  gpointer value;
  GError *error;
  GDestroyNotify free_value;
} Entry;

typedef struct {
  gboolean usable;
  char *reason;
} CpuVerdict;

struct _VrHostCaps {
  GObject parent_instance;

  virConnectPtr conn;
  char *driver;
  gboolean local;
  /* Guards everything below; held across the libvirt call that fills an
   * entry, so that each entry is fetched once however many threads ask. */
  GMutex lock;
  Entry *caps;
  Entry *node;
  GHashTable *domain_caps; /* "emulator|arch|machine|virttype" -> Entry */
  GHashTable *cpu;         /* the same + "|" + CPU XML -> Entry */
};

typedef struct {
  guint cpus;
  guint64 memory_kib;
} NodeInfo;

G_DEFINE_TYPE (VrHostCaps, vr_host_caps, G_TYPE_OBJECT)

static void
entry_free (Entry *entry)
{
  if (entry == NULL)
    return;
  if (entry->value != NULL)
    entry->free_value (entry->value);
  g_clear_error (&entry->error);
  g_free (entry);
}

static Entry *
entry_new (gpointer value, GDestroyNotify free_value, GError *error)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->value = value;
  entry->free_value = free_value;
  entry->error = error;
  return entry;
}

/* Hands out a cached answer as a value or a copy of its error. */
static gpointer
entry_get (Entry *entry, GError **error)
{
  if (entry->error != NULL)
    g_propagate_error (error, g_error_copy (entry->error));
  return entry->value;
}

static void
cpu_verdict_free (CpuVerdict *verdict)
{
  g_free (verdict->reason);
  g_free (verdict);
}

static void
vr_host_caps_finalize (GObject *object)
{
  VrHostCaps *self = VR_HOST_CAPS (object);

  entry_free (self->caps);
  entry_free (self->node);
  g_hash_table_unref (self->domain_caps);
  g_hash_table_unref (self->cpu);
  g_mutex_clear (&self->lock);
  g_free (self->driver);
  virConnectClose (self->conn);
  G_OBJECT_CLASS (vr_host_caps_parent_class)->finalize (object);
}

static void
vr_host_caps_class_init (VrHostCapsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = vr_host_caps_finalize;
}

static void
vr_host_caps_init (VrHostCaps *self)
{
  g_mutex_init (&self->lock);
  self->domain_caps = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) entry_free);
  self->cpu = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) entry_free);
}

/* A URI with a host part reaches another machine (qemu+ssh://host/...);
 * the files it names are not ours to check. */
static gboolean
uri_is_local (virConnectPtr conn)
{
  g_autofree char *uri = virConnectGetURI (conn);
  g_autoptr (GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL)
                                : NULL;
  const char *host = parsed ? g_uri_get_host (parsed) : NULL;

  return parsed != NULL && (host == NULL || *host == '\0'
                            || g_str_equal (host, "localhost"));
}

VrHostCaps *
vr_host_caps_new (virConnectPtr conn)
{
  VrHostCaps *self = g_object_new (VR_TYPE_HOST_CAPS, NULL);
  const char *driver;

  virConnectRef (conn);
  self->conn = conn;
  driver = virConnectGetType (conn);
  self->driver = g_strdup (driver ? driver : "unknown");
  self->local = uri_is_local (conn);
  return self;
}

virConnectPtr
vr_host_caps_get_connection (VrHostCaps *self)
{
  return self->conn;
}

const char *
vr_host_caps_get_driver (VrHostCaps *self)
{
  return self->driver;
}

gboolean
vr_host_caps_is_local (VrHostCaps *self)
{
  return self->local;
}

static Entry *
fetch_caps (VrHostCaps *self)
{
  g_autofree char *xml = virConnectGetCapabilities (self->conn);
  GError *error = NULL;
  VrCaps *caps;

  if (xml == NULL)
    {
      vr_libvirt_set_error (&error, "cannot read the host's capabilities");
      return entry_new (NULL, NULL, error);
    }
  caps = vr_caps_parse (xml, strlen (xml), &error);
  return entry_new (caps, (GDestroyNotify) vr_caps_free, error);
}

const VrCaps *
vr_host_caps_get_caps (VrHostCaps *self, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&self->lock);

  if (self->caps == NULL)
    self->caps = fetch_caps (self);
  return entry_get (self->caps, error);
}

static Entry *
fetch_node (VrHostCaps *self)
{
  virNodeInfo info;
  NodeInfo *node;
  GError *error = NULL;

  if (virNodeGetInfo (self->conn, &info) < 0)
    {
      vr_libvirt_set_error (&error, "cannot read the host's CPUs and memory");
      return entry_new (NULL, NULL, error);
    }
  node = g_new0 (NodeInfo, 1);
  node->cpus = info.cpus;
  node->memory_kib = info.memory;
  return entry_new (node, g_free, NULL);
}

gboolean
vr_host_caps_get_node (VrHostCaps *self, guint *cpus, guint64 *memory_kib,
                       GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&self->lock);
  NodeInfo *node;

  if (self->node == NULL)
    self->node = fetch_node (self);
  node = entry_get (self->node, error);
  if (node == NULL)
    return FALSE;
  *cpus = node->cpus;
  *memory_kib = node->memory_kib;
  return TRUE;
}

static char *
domain_caps_key (const char *emulator, const char *arch, const char *machine,
                 const char *virttype)
{
  return g_strdup_printf ("%s|%s|%s|%s", emulator ? emulator : "",
                          arch ? arch : "", machine ? machine : "",
                          virttype ? virttype : "");
}

static Entry *
fetch_domain_caps (VrHostCaps *self, const char *emulator, const char *arch,
                   const char *machine, const char *virttype)
{
  g_autofree char *xml = virConnectGetDomainCapabilities (
      self->conn, emulator, arch, machine, virttype, 0);
  GError *error = NULL;
  VrDomainCaps *dcaps;

  if (xml == NULL)
    {
      vr_libvirt_set_error (&error, "cannot read the domain capabilities");
      return entry_new (NULL, NULL, error);
    }
  dcaps = vr_domain_caps_parse (xml, strlen (xml), &error);
  return entry_new (dcaps, (GDestroyNotify) vr_domain_caps_free, error);
}

const VrDomainCaps *
vr_host_caps_get_domain_caps (VrHostCaps *self, const char *emulator,
                              const char *arch, const char *machine,
                              const char *virttype, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&self->lock);
  g_autofree char *key = domain_caps_key (emulator, arch, machine, virttype);
  Entry *entry = g_hash_table_lookup (self->domain_caps, key);

  if (entry == NULL)
    {
      entry = fetch_domain_caps (self, emulator, arch, machine, virttype);
      g_hash_table_insert (self->domain_caps, g_steal_pointer (&key), entry);
    }
  return entry_get (entry, error);
}

static Entry *
fetch_cpu_verdict (VrHostCaps *self, const char *emulator, const char *arch,
                   const char *machine, const char *virttype,
                   const char *cpu_xml)
{
  /* FAIL_INCOMPATIBLE makes libvirt say which features are missing. */
  int result = virConnectCompareHypervisorCPU (
      self->conn, emulator, arch, machine, virttype, cpu_xml,
      VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE);
  virErrorPtr err = virGetLastError ();
  CpuVerdict *verdict = g_new0 (CpuVerdict, 1);
  GError *error = NULL;

  verdict->usable = result == VIR_CPU_COMPARE_IDENTICAL
                    || result == VIR_CPU_COMPARE_SUPERSET;
  if (verdict->usable)
    return entry_new (verdict, (GDestroyNotify) cpu_verdict_free, NULL);
  /* A failure that is no verdict on the CPU is no finding either. */
  if (result < 0 && (err == NULL || (err->code != VIR_ERR_CPU_INCOMPATIBLE
                                     && err->code
                                            != VIR_ERR_CONFIG_UNSUPPORTED)))
    {
      vr_libvirt_set_error (&error, "cannot compare a CPU with the host's");
      cpu_verdict_free (verdict);
      return entry_new (NULL, NULL, error);
    }
  verdict->reason = g_strdup (err && err->message ? err->message
                                                  : "incompatible");
  return entry_new (verdict, (GDestroyNotify) cpu_verdict_free, NULL);
}

/* The verdicts kept: the <cpu> XML is the caller's (up to 4 MiB, any
 * feature names), and a validation may run before polkit answered, so
 * the cache is bounded (fourteenth review, D1: 1.9 MB of root's memory
 * kept per 1 MB file, without any right). A real <cpu> is a few KiB. */
#define CPU_CACHE_MAX_ENTRIES 64
#define CPU_CACHE_MAX_KEY 16384

gboolean
vr_host_caps_compare_cpu (VrHostCaps *self, const char *emulator,
                          const char *arch, const char *machine,
                          const char *virttype, const char *cpu_xml,
                          gboolean *usable, char **reason, GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&self->lock);
  g_autofree char *prefix = domain_caps_key (emulator, arch, machine,
                                             virttype);
  g_autofree char *key = g_strconcat (prefix, "|", cpu_xml, NULL);
  Entry *entry = g_hash_table_lookup (self->cpu, key);
  Entry *fresh = NULL;
  CpuVerdict *verdict;
  gboolean ok;

  if (entry == NULL)
    {
      entry = fresh = fetch_cpu_verdict (self, emulator, arch, machine,
                                         virttype, cpu_xml);
      if (strlen (key) <= CPU_CACHE_MAX_KEY)
        {
          if (g_hash_table_size (self->cpu) >= CPU_CACHE_MAX_ENTRIES)
            g_hash_table_remove_all (self->cpu);
          g_hash_table_insert (self->cpu, g_steal_pointer (&key), entry);
          fresh = NULL;
        }
    }
  verdict = entry_get (entry, error);
  ok = verdict != NULL;
  if (ok)
    {
      *usable = verdict->usable;
      *reason = g_strdup (verdict->reason);
    }
  if (fresh != NULL)
    entry_free (fresh);
  return ok;
}

guint
vr_host_caps_cached_cpu_verdicts (VrHostCaps *self)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker =
      g_mutex_locker_new (&self->lock);

  return g_hash_table_size (self->cpu);
}
