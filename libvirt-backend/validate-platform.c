/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest runs on: domain type, arch, emulator and machine type
 * against the host's capabilities. */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "safe-xml.h"
#include "validate-private.h"

#define TYPE_XPATH "/domain/os/type"

static char *
join_guest_arches (const VrCaps *caps, const char *os_type)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  for (guint i = 0; i < caps->guests->len; i++)
    {
      const VrGuestCaps *guest = caps->guests->pdata[i];

      if (g_strcmp0 (guest->os_type, os_type) == 0)
        g_ptr_array_add (names, guest->arch);
    }
  if (names->len == 0)
    return g_strdup ("none");
  g_ptr_array_add (names, NULL);
  return g_strjoinv (", ", (char **) names->pdata);
}

static const VrGuestCaps *
check_arch (VrValidation *v, const VrCaps *caps, const char *os_type)
{
  const VrGuestCaps *guest = vr_caps_find_guest (caps, os_type, v->arch);
  g_autofree char *offered = NULL;
  g_autofree char *hint = NULL;

  if (guest != NULL)
    return guest;
  offered = join_guest_arches (caps, os_type);
  hint = g_strdup_printf ("realize it on a host that runs %s guests: one "
                          "of that architecture, or one with its emulator "
                          "(qemu-system-%s) installed", v->arch, v->arch);
  vr_validation_add (v, VR_FINDING_ARCH,
                     vr_validation_attr_node (v, TYPE_XPATH, "arch"), hint,
                     "this host has no emulator for %s guests of "
                     "architecture '%s' (it offers: %s)", os_type, v->arch,
                     offered);
  return NULL;
}

static const VrGuestDomain *
check_domain_type (VrValidation *v, const VrGuestCaps *guest)
{
  const VrGuestDomain *domain = vr_guest_caps_find_domain (guest,
                                                           v->virttype);
  const VrGuestDomain *other;
  g_autofree char *hint = NULL;

  if (domain != NULL || guest->domains->len == 0)
    return domain;
  other = guest->domains->pdata[0];
  hint = vr_validation_hint_set (v, "/domain/@type", other->type);
  vr_validation_add (v, VR_FINDING_DOMAIN_TYPE,
                     vr_validation_attr_node (v, "/domain", "type"), hint,
                     "domain type '%s' is not offered for %s guests on this "
                     "host (it offers '%s'%s)", v->virttype, guest->arch,
                     other->type, g_str_equal (v->virttype, "kvm")
                                  ? "; KVM needs /dev/kvm" : "");
  return NULL;
}

/* A path the host does not list may still be a custom emulator here;
 * but validate never runs it: libvirt reads an emulator's capabilities by
 * starting it (as the QEMU user, who can read every guest's disks), and
 * the XML is the caller's. Its checks use the listed emulator's
 * capabilities; VR1807 says what the custom one would give. */
static void
check_emulator (VrValidation *v, const char *offered)
{
  xmlNode *node = vr_validation_node (v, "/domain/devices/emulator");
  g_autofree char *path = node ? vr_node_string (node, "string(.)") : NULL;
  g_autofree char *hint = NULL;
  g_autofree char *what = NULL;
  const char *absent;
  VrSeen seen;

  v->emulator = g_strdup (offered);
  if (path == NULL || g_strcmp0 (path, offered) == 0)
    return;
  seen = vr_host_caps_is_local (v->caps) ? vr_validation_look (v, path, X_OK)
                                          : VR_SEEN_MISSING;
  /* Looked at only where the caller could look (vr_validation_look). */
  if (seen == VR_SEEN_PRESENT && g_file_test (path, G_FILE_TEST_IS_REGULAR)
      && g_file_test (path, G_FILE_TEST_IS_EXECUTABLE))
    {
      what = g_strdup_printf ("the capabilities of emulator %s (not run: the "
                              "host's capabilities do not list it; checked "
                              "against %s's)", path,
                              offered ? offered : "libvirt's default");
      vr_validation_skip (v, what);
      return;
    }
  absent = seen == VR_SEEN_HIDDEN ? "is not one this host's capabilities "
                                    "list (a folder on its path is closed "
                                    "to the caller)"
                                  : "is not present on this host";
  if (offered == NULL)
    {
      vr_validation_add (v, VR_FINDING_EMULATOR, node, NULL, "emulator %s %s",
                         path, absent);
      return;
    }
  hint = vr_validation_hint_set (v, "/domain/devices/emulator", offered);
  vr_validation_add (v, VR_FINDING_EMULATOR, node, hint,
                     "emulator %s %s (it has %s for %s guests)", path, absent,
                     offered, v->arch);
}

/* "pc-q35-7.2" -> family "pc-q35", version "7.2". */
static gboolean
split_machine (const char *name, char **family, const char **version)
{
  const char *dash = strrchr (name, '-');

  if (dash == NULL)
    return FALSE;
  *family = g_strndup (name, dash - name);
  *version = dash + 1;
  return TRUE;
}

/* Compares dotted versions; text that is no version sorts first. */
static int
compare_versions (const char *a, const char *b)
{
  g_auto (GStrv) pa = g_strsplit (a, ".", -1);
  g_auto (GStrv) pb = g_strsplit (b, ".", -1);

  for (guint i = 0; pa[i] || pb[i]; i++)
    {
      guint64 x = pa[i] ? g_ascii_strtoull (pa[i], NULL, 10) : 0;
      guint64 y = pb[i] ? g_ascii_strtoull (pb[i], NULL, 10) : 0;

      if (x != y)
        return x < y ? -1 : 1;
    }
  return 0;
}

static gboolean
is_version (const char *text)
{
  return g_ascii_isdigit (*text);
}

static gboolean
better_machine (const char *candidate, const char *best, const char *wanted)
{
  gboolean fits = is_version (wanted)
                  && compare_versions (candidate, wanted) <= 0;
  gboolean best_fits = is_version (wanted)
                       && compare_versions (best, wanted) <= 0;

  /* The newest one not newer than wanted, else the oldest one. */
  if (fits != best_fits)
    return fits;
  if (fits || !is_version (wanted))
    return compare_versions (candidate, best) > 0;
  return compare_versions (candidate, best) < 0;
}

/* The machine of the same family nearest to a missing one: for a machine
 * newer than this QEMU, its newest; for a vendor's (pc-q35-rhel8.6.0),
 * the family's newest. */
static const char *
nearest_machine (GPtrArray *machines, const char *wanted)
{
  g_autofree char *family = NULL;
  const char *version;
  const char *best = NULL;
  const char *best_version = NULL;

  if (!split_machine (wanted, &family, &version))
    return NULL;
  for (guint i = 0; i < machines->len; i++)
    {
      const VrMachine *m = machines->pdata[i];
      g_autofree char *f = NULL;
      const char *ver;

      if (!split_machine (m->name, &f, &ver) || !g_str_equal (f, family)
          || !is_version (ver))
        continue;
      if (best == NULL || better_machine (ver, best_version, version))
        {
          best = m->name;
          best_version = ver;
        }
    }
  return best;
}

static const char *
default_machine (GPtrArray *machines)
{
  for (guint i = 0; i < machines->len; i++)
    {
      const VrMachine *m = machines->pdata[i];

      if (m->canonical != NULL)
        return m->canonical;
    }
  return machines->len ? ((VrMachine *) machines->pdata[0])->name : NULL;
}

static void
report_missing_machine (VrValidation *v, GPtrArray *machines,
                        const char *wanted, xmlNode *node)
{
  const char *nearest = nearest_machine (machines, wanted);
  g_autofree char *set = vr_validation_hint_set (
      v, TYPE_XPATH "/@machine", nearest ? nearest : default_machine (machines));
  g_autofree char *keep = NULL;
  g_autofree char *hint = NULL;

  /* A saved state resumes only on the machine type it was saved on. */
  keep = g_strdup_printf ("the saved state needs machine type '%s': "
                          "realize it on a host with that QEMU", wanted);
  hint = vr_validation_hint_afresh (v, keep, set);
  vr_validation_add (v, VR_FINDING_MACHINE, node, hint,
                     "machine type '%s' is not offered by %s%s", wanted,
                     v->emulator, nearest ? "" : " (nor any of its family)");
}

static void
check_machine (VrValidation *v, GPtrArray *machines)
{
  xmlNode *node = vr_validation_attr_node (v, TYPE_XPATH, "machine");
  g_autofree char *wanted = vr_validation_string (
      v, "string(" TYPE_XPATH "/@machine)");
  const VrMachine *machine;
  g_autofree char *hint = NULL;

  if (machines->len == 0)
    {
      vr_validation_skip (v, "machine type");
      v->machine = g_steal_pointer (&wanted);
      return;
    }
  if (wanted == NULL)
    return;
  machine = vr_machines_find (machines, wanted);
  if (machine == NULL)
    {
      report_missing_machine (v, machines, wanted, node);
      return;
    }
  v->machine = g_strdup (machine->canonical ? machine->canonical : wanted);
  if (!machine->deprecated)
    return;
  hint = g_strdup_printf ("plan to move the guest to a newer machine type "
                          "(when it next boots afresh): %s will go away",
                          wanted);
  vr_validation_add (v, VR_FINDING_MACHINE_DEPRECATED, node, hint,
                     "machine type '%s' is deprecated by %s", wanted,
                     v->emulator);
}

static void
fetch_domain_caps (VrValidation *v)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *what = NULL;

  v->dcaps = vr_host_caps_get_domain_caps (v->caps, v->emulator, v->arch,
                                           v->machine, v->virttype, &error);
  if (v->dcaps != NULL)
    return;
  if (vr_error_is (error, VR_ERROR_NOT_SUPPORTED))
    what = g_strdup ("domain capabilities (vCPU maximum, CPU mode and "
                     "model, disk, video, graphics and host device models, "
                     "firmware)");
  else
    what = g_strdup_printf ("domain capabilities (%s)", error->message);
  vr_validation_skip (v, what);
}

const VrMachine *
vr_validation_find_machine (VrValidation *v, const char *name)
{
  const VrCaps *caps = vr_host_caps_get_caps (v->caps, NULL);
  const VrGuestCaps *guest = caps ? vr_caps_find_guest (caps, "hvm", v->arch)
                                  : NULL;

  if (guest == NULL || name == NULL)
    return NULL;
  return vr_machines_find (vr_guest_caps_machines (
      guest, vr_guest_caps_find_domain (guest, v->virttype)), name);
}

void
vr_validate_platform (VrValidation *v)
{
  g_autoptr (GError) error = NULL;
  const VrCaps *caps = vr_host_caps_get_caps (v->caps, &error);
  g_autofree char *os_type = vr_validation_string (
      v, "string(" TYPE_XPATH ")");
  const VrGuestCaps *guest;
  const VrGuestDomain *domain;
  guint errors = vr_findings_count (v->findings, VR_SEVERITY_ERROR);

  if (caps == NULL)
    {
      g_autofree char *what = g_strdup_printf ("host capabilities (%s)",
                                               error->message);

      vr_validation_skip (v, what);
      return;
    }
  v->virttype = vr_validation_string (v, "string(/domain/@type)");
  /* The schema check names a missing type. */
  if (v->virttype == NULL)
    return;
  v->arch = vr_validation_string (v, "string(" TYPE_XPATH "/@arch)");
  if (v->arch == NULL)
    v->arch = g_strdup (caps->host_arch);
  guest = check_arch (v, caps, os_type ? os_type : "hvm");
  if (guest == NULL)
    return;
  domain = check_domain_type (v, guest);
  if (domain == NULL && guest->domains->len > 0)
    return;
  check_emulator (v, vr_guest_caps_emulator (guest, domain));
  check_machine (v, vr_guest_caps_machines (guest, domain));
  v->platform_ok = vr_findings_count (v->findings, VR_SEVERITY_ERROR)
                   == errors;
  if (v->platform_ok)
    fetch_domain_caps (v);
}
