/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* vr-testbed [--variant basic|disk|second|uefi|all] DIR
 *
 * Makes real import directories (a domain XML and a QEMU managed-save image)
 * with libvirt's embedded QEMU driver rooted at DIR/root, once, and prints
 * their absolute paths. It is a separate executable because libvirt allows
 * only one embedded root per process. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "libvirt-util.h"
#include "safe-xml.h"
#include "testbed.h"


/* The disk variant's image: its name inside the import directory (the
 * import-directory format names disks by relative path) and its size. */
#define DISK_NAME "disk0.qcow2"
#define DISK_REL_PATH "disks/" DISK_NAME
#define DISK_SIZE "16M"
/* Long enough for the save image to hold a guest that has really run. */
#define RUN_USEC G_USEC_PER_SEC

/* How long OVMF may take to write its variable store for the first time
 * (about 30 s under TCG on the 2-vCPU machine, a second or two with KVM). */
#define NVRAM_WAIT_USEC (180 * G_USEC_PER_SEC)

typedef struct {
  const char *variant;
  const char *name;
  const char *uuid;
  gboolean disk;
  /* UEFI (OVMF, no Secure Boot: it boots faster under TCG) and an emulated
   * TPM 2.0 (swtpm): the import directory carries nvram/ and tpm/. */
  gboolean uefi;
} Variant;

static const Variant variants[] = {
  { "basic", "vr-guest", "5a1ad0c0-7e57-4b3d-9c1e-000000000001", FALSE, FALSE },
  { "disk", "vr-guest-disk", "5a1ad0c0-7e57-4b3d-9c1e-000000000002", TRUE,
    FALSE },
  { "second", "vr-guest-2", "5a1ad0c0-7e57-4b3d-9c1e-000000000003", FALSE,
    FALSE },
  { "uefi", "vr-uefi", "5a1ad0c0-7e57-4b3d-9c1e-000000000004", FALSE, TRUE },
};

typedef struct {
  char *dir;   /* absolute test bed directory */
  char *root;  /* DIR/root, the embedded QEMU root */
  /* Opened only when a variant needs building; guarded by conn_lock
   * because the signal thread uses it to destroy guests. */
  GMutex conn_lock;
  virConnectPtr conn;
} Testbed;

/* A guest defined in the embedded root: freeing it destroys it if it runs
 * and undefines it, so that no path leaves a guest behind. */
typedef struct {
  virDomainPtr dom;
} Guest;

static gboolean
destroy_domain (virDomainPtr dom, GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (virDomainIsActive (dom) != 1 || virDomainDestroy (dom) == 0)
    return TRUE;
  vr_libvirt_set_error (&local_error, "cannot destroy '%s'",
                        virDomainGetName (dom));
  /* A guest left running by a killed run may be stopped meanwhile by the
   * driver's reconnect thread (on open, in the background). */
  if (virDomainIsActive (dom) == 0)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static gboolean
discard_domain (virDomainPtr dom, GError **error)
{
  if (!destroy_domain (dom, error))
    return FALSE;
  if (virDomainUndefineFlags (dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
                                   | VIR_DOMAIN_UNDEFINE_NVRAM
                                   | VIR_DOMAIN_UNDEFINE_TPM) < 0)
    {
      vr_libvirt_set_error (error, "cannot undefine '%s'",
                            virDomainGetName (dom));
      return FALSE;
    }
  return TRUE;
}

static void
guest_release (Guest *guest)
{
  virDomainFree (guest->dom);
  g_free (guest);
}

static void
guest_free (Guest *guest)
{
  /* Best effort on failure paths; a later run cleans up what is left. */
  discard_domain (guest->dom, NULL);
  guest_release (guest);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Guest, guest_free)

static gboolean
set_errno_error (GError **error, int errsv, const char *what, const char *path)
{
  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errsv),
               "cannot %s %s: %s", what, path, g_strerror (errsv));
  return FALSE;
}

/* Explicit modes: the umask must not hide the test bed from tests that read
 * it as an unprivileged user. */
static gboolean
set_mode (const char *path, int mode, GError **error)
{
  if (g_chmod (path, mode) != 0)
    return set_errno_error (error, errno, "set the mode of", path);
  return TRUE;
}

static gboolean
make_dir (const char *path, GError **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    return set_errno_error (error, errno, "create directory", path);
  return set_mode (path, 0755, error);
}

static gboolean
write_file (const char *path, const char *contents, GError **error)
{
  if (!g_file_set_contents_full (path, contents, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    return FALSE;
  return set_mode (path, 0644, error);
}

static gboolean
copy_file (const char *src, const char *dst, GError **error)
{
  g_autoptr(GFile) src_file = g_file_new_for_path (src);
  g_autoptr(GFile) dst_file = g_file_new_for_path (dst);

  if (!g_file_copy (src_file, dst_file, G_FILE_COPY_OVERWRITE, NULL, NULL,
                    NULL, error))
    return FALSE;
  /* libvirt writes save images 0600. */
  return set_mode (dst, 0644, error);
}

static gboolean
remove_file (const char *path, GError **error)
{
  if (g_unlink (path) != 0 && errno != ENOENT)
    return set_errno_error (error, errno, "remove", path);
  return TRUE;
}

static int
take_lock (const char *dir, GError **error)
{
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      set_errno_error (error, errno, "open", path);
      return -1;
    }
  /* Held until exit: parallel tests wait here for one builder. */
  while (flock (fd, LOCK_EX) != 0)
    {
      if (errno == EINTR)
        continue;
      set_errno_error (error, errno, "lock", path);
      close (fd);
      return -1;
    }
  return fd;
}

static xmlNodePtr
add_child (xmlNodePtr parent, const char *name, const char *content)
{
  /* xmlNewTextChild escapes the content. */
  return xmlNewTextChild (parent, NULL, BAD_CAST name, BAD_CAST content);
}

static void
set_prop (xmlNodePtr node, const char *name, const char *value)
{
  xmlNewProp (node, BAD_CAST name, BAD_CAST value);
}

static void
add_disk (xmlNodePtr devices, const char *path)
{
  xmlNodePtr disk = add_child (devices, "disk", NULL);
  xmlNodePtr node;

  set_prop (disk, "type", "file");
  set_prop (disk, "device", "disk");
  node = add_child (disk, "driver", NULL);
  set_prop (node, "name", "qemu");
  set_prop (node, "type", "qcow2");
  set_prop (add_child (disk, "source", NULL), "file", path);
  node = add_child (disk, "target", NULL);
  set_prop (node, "dev", "vda");
  set_prop (node, "bus", "virtio");
}

/* UEFI by firmware auto-selection and a TPM 2.0 on swtpm; UEFI needs ACPI
 * and, for the TPM's CRB interface, the q35 machine. */
static void
add_uefi (xmlNodePtr domain, xmlNodePtr os, xmlNodePtr devices)
{
  xmlNodePtr node;

  set_prop (os, "firmware", "efi");
  node = add_child (add_child (os, "firmware", NULL), "feature", NULL);
  set_prop (node, "enabled", "no");
  set_prop (node, "name", "secure-boot");
  add_child (add_child (domain, "features", NULL), "acpi", NULL);
  node = add_child (devices, "tpm", NULL);
  set_prop (node, "model", "tpm-crb");
  node = add_child (node, "backend", NULL);
  set_prop (node, "type", "emulator");
  set_prop (node, "version", "2.0");
}

/* The guest as defined in the root: no OS, so it only needs to run. No
 * display: guests of concurrent embedded roots would race for VNC ports
 * (docs/libvirt-handoff.md), and a saved state needs none. */
static char *
build_domain_xml (const Variant *variant, const char *disk_path,
                  GError **error)
{
  g_autoptr(xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNodePtr domain = xmlNewDocNode (doc, NULL, BAD_CAST "domain", NULL);
  xmlNodePtr node;
  xmlNodePtr os;
  xmlNodePtr devices;

  xmlDocSetRootElement (doc, domain);
  set_prop (domain, "type", "qemu");
  add_child (domain, "name", variant->name);
  add_child (domain, "uuid", variant->uuid);
  /* OVMF wants more than 64 MiB. */
  set_prop (add_child (domain, "memory", variant->uefi ? "128" : "64"),
            "unit", "MiB");
  add_child (domain, "vcpu", "1");
  os = add_child (domain, "os", NULL);
  node = add_child (os, "type", "hvm");
  set_prop (node, "arch", "x86_64");
  set_prop (node, "machine", variant->uefi ? "q35" : "pc");
  devices = xmlNewNode (NULL, BAD_CAST "devices");
  if (variant->uefi)
    add_uefi (domain, os, devices);
  xmlAddChild (domain, devices);
  if (disk_path != NULL)
    add_disk (devices, disk_path);
  return vr_xml_to_string (doc);
}

/* Points the disk at from_path to to_path (relative in an import dir). */
static char *
relocate_disk (const char *xml, const char *from_path, const char *to_path,
               GError **error)
{
  g_autoptr(xmlDoc) doc = vr_xml_parse_buffer (xml, strlen (xml),
                                               "libvirt's domain XML",
                                               "domain", error);
  g_autoptr(xmlXPathContext) ctxt = NULL;
  g_autoptr(xmlXPathObject) sources = NULL;
  gboolean found = FALSE;

  if (doc == NULL)
    return NULL;
  ctxt = xmlXPathNewContext (doc);
  sources = xmlXPathEvalExpression
    (BAD_CAST "/domain/devices/disk[@type='file']/source[@file]", ctxt);
  for (int i = 0; sources != NULL && sources->nodesetval != NULL
                  && i < sources->nodesetval->nodeNr; i++)
    {
      xmlNodePtr source = sources->nodesetval->nodeTab[i];
      g_autofree xmlChar *file = xmlGetProp (source, BAD_CAST "file");

      if (g_strcmp0 ((const char *) file, from_path) != 0)
        continue;
      xmlSetProp (source, BAD_CAST "file", BAD_CAST to_path);
      found = TRUE;
    }
  if (!found)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "no disk with source %s in the domain XML", from_path);
      return NULL;
    }
  return vr_xml_to_string (doc);
}

static gboolean
create_qcow2 (const char *path, GError **error)
{
  const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", path,
                         DISK_SIZE, NULL };
  g_autofree char *err = NULL;
  g_autoptr(GError) local_error = NULL;
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                     NULL, NULL, NULL, &err, &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, &local_error))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "qemu-img create %s failed: %s", path,
                   *g_strstrip (err) != '\0' ? err : local_error->message);
      return FALSE;
    }
  return set_mode (path, 0644, error);
}

static gboolean
write_qemu_conf (Testbed *tb, GError **error)
{
  g_autofree char *etc = g_build_filename (tb->root, "etc", NULL);
  g_autofree char *conf = g_build_filename (etc, "qemu.conf", NULL);

  /* No virtlogd here: QEMU's output goes straight to DIR/root/log. */
  return make_dir (etc, error)
         && write_file (conf, "stdio_handler = \"file\"\n", error);
}

static virConnectPtr
testbed_connect (Testbed *tb, GError **error)
{
  g_autofree char *root_escaped = NULL;
  g_autofree char *uri = NULL;
  virConnectPtr conn;

  if (tb->conn != NULL)
    return tb->conn;
  if (!write_qemu_conf (tb, error))
    return NULL;
  root_escaped = g_uri_escape_string (tb->root, "/", FALSE);
  uri = g_strconcat ("qemu:///embed?root=", root_escaped, NULL);
  conn = vr_libvirt_open (uri, error);
  g_mutex_lock (&tb->conn_lock);
  tb->conn = conn;
  g_mutex_unlock (&tb->conn_lock);
  return conn;
}

/* Removes what an interrupted earlier run may have left in the root. */
static gboolean
discard_stale_guest (Testbed *tb, const Variant *variant, GError **error)
{
  g_autoptr(virDomain) dom = virDomainLookupByName (tb->conn, variant->name);
  g_autofree char *save_name = g_strconcat (variant->name, ".save", NULL);
  g_autofree char *save_path = g_build_filename (tb->root, "lib", "qemu",
                                                 "save", save_name, NULL);

  if (dom != NULL && !discard_domain (dom, error))
    return FALSE;
  /* A stray image would be restored by the start instead of a cold boot. */
  return remove_file (save_path, error);
}

static Guest *
guest_define (Testbed *tb, const char *xml, GError **error)
{
  virDomainPtr dom = virDomainDefineXML (tb->conn, xml);
  Guest *guest;

  if (dom == NULL)
    {
      vr_libvirt_set_error (error, "cannot define a guest");
      return NULL;
    }
  guest = g_new0 (Guest, 1);
  guest->dom = dom;
  return guest;
}

static char *
nvram_path (Testbed *tb, const Variant *variant)
{
  g_autofree char *file = g_strconcat (variant->name, "_VARS.fd", NULL);

  return g_build_filename (tb->root, "lib", "qemu", "nvram", file, NULL);
}

static gboolean
same_contents (const char *a, const char *b)
{
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  gsize x_len = 0;
  gsize y_len = 0;

  return g_file_get_contents (a, &x, &x_len, NULL)
         && g_file_get_contents (b, &y, &y_len, NULL) && x_len == y_len
         && memcmp (x, y, x_len) == 0;
}

/* The running guest's variable store is its template until OVMF writes
 * its first variables (boot options): wait for that, so that the carried
 * store is the guest's own and a test can tell it from a fresh one. */
static gboolean
wait_for_nvram (Testbed *tb, Guest *guest, const Variant *variant,
                GError **error)
{
  g_autofree char *path = nvram_path (tb, variant);
  g_autofree char *template = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  char *xml = virDomainGetXMLDesc (guest->dom, 0);
  gint64 deadline = g_get_monotonic_time () + NVRAM_WAIT_USEC;

  if (xml == NULL)
    {
      vr_libvirt_set_error (error, "cannot get the XML of '%s'", variant->name);
      return FALSE;
    }
  doc = vr_xml_parse_buffer (xml, strlen (xml), "libvirt's domain XML",
                             "domain", error);
  free (xml);
  if (doc == NULL)
    return FALSE;
  template = vr_xml_xpath_string (doc, "string(/domain/os/nvram/@template)");
  while (template != NULL && same_contents (path, template))
    {
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                       "OVMF did not write %s within %d s", path,
                       (int) (NVRAM_WAIT_USEC / G_USEC_PER_SEC));
          return FALSE;
        }
      g_usleep (G_USEC_PER_SEC / 2);
    }
  return TRUE;
}

static gboolean
guest_run_and_save (Testbed *tb, const Variant *variant, Guest *guest,
                    GError **error)
{
  const char *name = virDomainGetName (guest->dom);

  if (virDomainCreate (guest->dom) < 0)
    {
      vr_libvirt_set_error (error, "cannot start '%s'", name);
      return FALSE;
    }
  g_usleep (RUN_USEC);
  if (variant->uefi && !wait_for_nvram (tb, guest, variant, error))
    return FALSE;
  if (virDomainIsActive (guest->dom) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "'%s' stopped before it could be saved", name);
      return FALSE;
    }
  if (virDomainManagedSave (guest->dom, 0) < 0)
    {
      vr_libvirt_set_error (error, "cannot save '%s'", name);
      return FALSE;
    }
  return TRUE;
}

/* Removes the managed save and the definition, reporting failures (the
 * Guest cleanup would only try). */
static gboolean
guest_discard (Guest *guest, GError **error)
{
  g_autoptr(Guest) owned = guest;

  if (virDomainManagedSaveRemove (guest->dom, 0) < 0)
    {
      vr_libvirt_set_error (error, "cannot remove the managed save of '%s'",
                            virDomainGetName (guest->dom));
      return FALSE;
    }
  if (!discard_domain (guest->dom, error))
    return FALSE;
  guest_release (g_steal_pointer (&owned));
  return TRUE;
}

/* nvram/NAME_VARS.fd and tpm/tpm2/tpm2-00.permall, as export writes
 * them (0600: swtpm's state is its user's alone). */
static gboolean
export_firmware (Testbed *tb, const Variant *variant, const char *tmp,
                 GError **error)
{
  g_autofree char *nvram_src = nvram_path (tb, variant);
  g_autofree char *nvram_dir = g_build_filename (tmp, "nvram", NULL);
  g_autofree char *base = g_path_get_basename (nvram_src);
  g_autofree char *nvram_dst = g_build_filename (nvram_dir, base, NULL);
  g_autofree char *tpm_src = g_build_filename (tb->root, "lib", "swtpm",
                                               variant->uuid, "tpm2",
                                               "tpm2-00.permall", NULL);
  g_autofree char *tpm_dir = g_build_filename (tmp, "tpm", "tpm2", NULL);
  g_autofree char *tpm_dst = g_build_filename (tpm_dir, "tpm2-00.permall",
                                               NULL);
  g_autofree char *tpm_top = g_build_filename (tmp, "tpm", NULL);

  return make_dir (nvram_dir, error) && copy_file (nvram_src, nvram_dst, error)
         && make_dir (tpm_dir, error) && set_mode (tpm_top, 0755, error)
         && copy_file (tpm_src, tpm_dst, error)
         && set_mode (tpm_dst, 0600, error);
}

/* Copies the results out of the root into the import dir tmp. */
static gboolean
export_guest (Testbed *tb, const Variant *variant, Guest *guest,
              const char *disk_path, const char *tmp, GError **error)
{
  g_autofree char *save_name = g_strconcat (variant->name, ".save", NULL);
  g_autofree char *save_src = g_build_filename (tb->root, "lib", "qemu",
                                                "save", save_name, NULL);
  g_autofree char *save_dst = g_build_filename (tmp, save_name, NULL);
  g_autofree char *xml_path = g_build_filename (tmp, "domain.xml", NULL);
  g_autofree char *xml = NULL;
  char *desc;

  /* After the managed save: the XML as the saved guest is defined. */
  desc = virDomainGetXMLDesc (guest->dom, VIR_DOMAIN_XML_INACTIVE
                                          | VIR_DOMAIN_XML_SECURE);
  if (desc == NULL)
    {
      vr_libvirt_set_error (error, "cannot get the XML of '%s'", variant->name);
      return FALSE;
    }
  xml = g_strdup (desc);
  free (desc);
  if (!copy_file (save_src, save_dst, error))
    return FALSE;
  if (variant->uefi && !export_firmware (tb, variant, tmp, error))
    return FALSE;
  if (disk_path != NULL)
    {
      g_autofree char *disks = g_build_filename (tmp, "disks", NULL);
      g_autofree char *disk_dst = g_build_filename (tmp, DISK_REL_PATH, NULL);
      g_autofree char *relocated = NULL;

      if (!make_dir (disks, error) || !copy_file (disk_path, disk_dst, error))
        return FALSE;
      relocated = relocate_disk (xml, disk_path, DISK_REL_PATH, error);
      if (relocated == NULL)
        return FALSE;
      g_free (xml);
      xml = g_steal_pointer (&relocated);
    }
  return write_file (xml_path, xml, error);
}

/* Runs the variant's guest in the root and fills tmp with its import dir. */
static gboolean
build_variant (Testbed *tb, const Variant *variant, const char *tmp,
               GError **error)
{
  g_autofree char *images = g_build_filename (tb->root, "images", NULL);
  g_autofree char *disk_path = NULL;
  g_autofree char *xml = NULL;
  g_autoptr(Guest) guest = NULL;

  if (!make_dir (tmp, error) || !discard_stale_guest (tb, variant, error))
    return FALSE;
  if (variant->disk)
    {
      disk_path = g_build_filename (images, DISK_NAME, NULL);
      if (!make_dir (images, error) || !remove_file (disk_path, error)
          || !create_qcow2 (disk_path, error))
        return FALSE;
    }
  xml = build_domain_xml (variant, disk_path, error);
  if (xml == NULL)
    return FALSE;
  guest = guest_define (tb, xml, error);
  if (guest == NULL
      || !guest_run_and_save (tb, variant, guest, error)
      || !export_guest (tb, variant, guest, disk_path, tmp, error)
      || !guest_discard (g_steal_pointer (&guest), error))
    return FALSE;
  return disk_path == NULL || remove_file (disk_path, error);
}

static gboolean
ensure_variant (Testbed *tb, const Variant *variant, GError **error)
{
  g_autofree char *dest = g_build_filename (tb->dir, variant->variant, NULL);
  g_autofree char *tmp = g_strconcat (dest, ".tmp", NULL);
  g_autofree char *ready = g_strconcat (".ready-", variant->variant, NULL);
  g_autofree char *marker = g_build_filename (tb->dir, ready, NULL);

  if (g_file_test (marker, G_FILE_TEST_EXISTS)
      && g_file_test (dest, G_FILE_TEST_IS_DIR))
    return TRUE;
  /* Leftovers of an interrupted run: a half-made tmp, or a renamed variant
   * whose marker was never written. */
  if (!remove_file (marker, error))
    return FALSE;
  vr_testbed_rmtree (tmp);
  vr_testbed_rmtree (dest);
  if (testbed_connect (tb, error) == NULL
      || !build_variant (tb, variant, tmp, error))
    return FALSE;
  if (g_rename (tmp, dest) != 0)
    return set_errno_error (error, errno, "rename", tmp);
  return write_file (marker, "", error);
}

/* The variants named by --variant, in the order they are printed. */
static gboolean
select_variants (const char *which, gboolean selected[], GError **error)
{
  gboolean all = g_strcmp0 (which, "all") == 0;
  gboolean any = FALSE;

  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      selected[i] = all || g_strcmp0 (which, variants[i].variant) == 0;
      any = any || selected[i];
    }
  if (!any)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                 "unknown variant '%s' (basic, disk, second, uefi or all)", which);
  return any;
}

/* A test run timing out kills us: destroy the guest being built rather than
 * leave a QEMU running. The next run undefines what is left. */
static gpointer
signal_thread (gpointer data)
{
  Testbed *tb = data;
  sigset_t set;
  int sig = 0;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  sigwait (&set, &sig);
  g_mutex_lock (&tb->conn_lock);
  for (gsize i = 0; tb->conn != NULL && i < G_N_ELEMENTS (variants); i++)
    {
      g_autoptr(virDomain) dom = virDomainLookupByName (tb->conn,
                                                        variants[i].name);

      if (dom != NULL && virDomainIsActive (dom) == 1)
        virDomainDestroy (dom);
    }
  fprintf (stderr, "vr-testbed: interrupted by signal %d\n", sig);
  _exit (1);
}

/* Before any thread starts, so that only signal_thread receives them. */
static void
block_exit_signals (void)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGHUP);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
}

static gboolean
ensure_selected (Testbed *tb, const gboolean selected[], GString *out,
                 GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (variants); i++)
    {
      g_autofree char *path = NULL;

      if (!selected[i])
        continue;
      if (!ensure_variant (tb, &variants[i], error))
        return FALSE;
      path = g_build_filename (tb->dir, variants[i].variant, NULL);
      g_string_append_printf (out, "%s\n", path);
    }
  return TRUE;
}

static gboolean
run (Testbed *tb, const gboolean selected[], GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  gboolean created = !g_file_test (tb->dir, G_FILE_TEST_IS_DIR);
  gboolean ok;
  int lock_fd;

  if (g_mkdir_with_parents (tb->dir, 0755) != 0)
    return set_errno_error (error, errno, "create directory", tb->dir);
  /* Only a directory we made: DIR may be someone's existing directory. */
  if (created && !set_mode (tb->dir, 0755, error))
    return FALSE;
  lock_fd = take_lock (tb->dir, error);
  if (lock_fd < 0)
    return FALSE;
  ok = ensure_selected (tb, selected, out, error);
  close (lock_fd);
  if (ok)
    fputs (out->str, stdout);
  return ok;
}

static int
fail (GError *error)
{
  g_autofree char *message = g_strdup (error->message);

  /* One line, whatever libvirt or QEMU said. */
  g_strdelimit (message, "\r\n", ' ');
  fprintf (stderr, "vr-testbed: %s\n", message);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autofree char *which = NULL;
  GOptionEntry entries[] = {
    { "variant", 0, 0, G_OPTION_ARG_STRING, &which,
      "Variant to ensure: basic, disk, second, uefi or all (default)", "NAME" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("DIR");
  g_autoptr(GError) error = NULL;
  gboolean selected[G_N_ELEMENTS (variants)];
  /* Static: the signal thread may still use it while the process exits. */
  static Testbed tb;
  gboolean ok;

  block_exit_signals ();
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_summary (context, "Makes the virt-realize test bed "
                                "(import directories with real save images).");
  if (!g_option_context_parse (context, &argc, &argv, &error))
    return fail (error);
  if (argc != 2)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   "expected one DIR argument");
      return fail (error);
    }
  if (!select_variants (which != NULL ? which : "all", selected, &error))
    return fail (error);

  tb.dir = g_canonicalize_filename (argv[1], NULL);
  tb.root = g_build_filename (tb.dir, "root", NULL);
  g_mutex_init (&tb.conn_lock);
  g_thread_unref (g_thread_new ("signals", signal_thread, &tb));
  ok = run (&tb, selected, &error);

  g_mutex_lock (&tb.conn_lock);
  if (tb.conn != NULL)
    virConnectClose (g_steal_pointer (&tb.conn));
  /* Keep the lock: the signal thread must not see a freed tb. */
  g_free (tb.dir);
  g_free (tb.root);
  return ok ? 0 : fail (error);
}
