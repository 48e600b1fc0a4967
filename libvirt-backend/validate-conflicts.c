/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What is already here under the same name or UUID: defined domains and
 * other planned systems. */
#include "config.h"

#include "libvirt-util.h"
#include "validate-private.h"

static char *
domain_uuid (virDomainPtr dom)
{
  char uuid[VIR_UUID_STRING_BUFLEN];

  if (virDomainGetUUIDString (dom, uuid) < 0)
    return g_strdup ("unknown");
  return g_strdup (uuid);
}

/* NULL when there is none; a failure other than "no such domain" skips
 * the check rather than guess. */
static virDomainPtr
lookup (VrValidation *v, gboolean by_name, gboolean *failed)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  const char *key = by_name ? v->name : v->uuid;
  virDomainPtr dom = NULL;
  virErrorPtr err;

  /* A bare FILE.xml may lack its UUID (or name): nothing to look up. */
  if (key == NULL)
    return NULL;
  dom = by_name ? virDomainLookupByName (conn, key)
                : virDomainLookupByUUIDString (conn, key);
  err = dom ? NULL : virGetLastError ();

  if (err != NULL && err->code != VIR_ERR_NO_DOMAIN)
    *failed = TRUE;
  return dom;
}

/* A realized planned system finds its own domain: no conflict. */
static gboolean
is_own_domain (VrValidation *v, virDomainPtr dom)
{
  return v->system != NULL
         && vr_planned_system_get_state (v->system) == VR_PLANNED_STATE_REALIZED
         && g_strcmp0 (vr_planned_system_get_domain (v->system),
                       virDomainGetName (dom)) == 0;
}

static char *
virsh_on (virDomainPtr dom)
{
  return vr_libvirt_virsh_on (virDomainGetConnect (dom));
}

static void
report_same_uuid (VrValidation *v, virDomainPtr dom)
{
  g_autofree char *virsh = virsh_on (dom);
  g_autofree char *name = g_shell_quote (virDomainGetName (dom));
  g_autofree char *hint = g_strdup_printf (
      "this VM is already defined here as '%s': if that is a stale copy, "
      "undefine it (%s undefine %s --managed-save: this deletes that "
      "domain's own saved state; its disks stay)",
      virDomainGetName (dom), virsh, name);

  vr_validation_add (v, VR_FINDING_DOMAIN_UUID,
                     vr_validation_node (v, "/domain/uuid"), hint,
                     "domain '%s' with UUID %s is already defined on this "
                     "host", virDomainGetName (dom), v->uuid);
}

static void
report_same_name (VrValidation *v, virDomainPtr dom)
{
  g_autofree char *uuid = domain_uuid (dom);
  g_autofree char *other = g_strdup_printf ("%s-2", v->name);
  g_autofree char *set = vr_validation_hint_set (v, "/domain/name", other);
  g_autofree char *hint = NULL;

  /* libvirt restores a saved state only into the name it was saved as. */
  if (v->save_file != NULL && v->check_save)
    {
      g_autofree char *virsh = virsh_on (dom);
      g_autofree char *name = g_shell_quote (v->name);

      hint = g_strdup_printf ("the saved state resumes only as '%s': rename "
                              "the defined domain (%s domrename %s NEW) or "
                              "undefine it", v->name, virsh, name);
    }
  /* The name is taken: a realize would fail, so validate says so. The
   * other domain's UUID is its owner's to know: an unprivileged caller
   * of the agent learnt it for any name they tried (twelfth review F7). */
  if (v->options.caller_known && v->options.caller_uid != 0)
    vr_validation_add (v, VR_FINDING_DOMAIN_NAME,
                       vr_validation_node (v, "/domain/name"),
                       hint ? hint : set,
                       "another domain named '%s' is already defined on "
                       "this host", v->name);
  else
    vr_validation_add (v, VR_FINDING_DOMAIN_NAME,
                       vr_validation_node (v, "/domain/name"),
                       hint ? hint : set,
                       "another domain named '%s' (UUID %s) is already "
                       "defined on this host", v->name, uuid);
}

static void
check_domains (VrValidation *v)
{
  gboolean failed = FALSE;
  g_autoptr (virDomain) by_uuid = lookup (v, FALSE, &failed);
  g_autoptr (virDomain) by_name = lookup (v, TRUE, &failed);
  g_autofree char *name_uuid = by_name ? domain_uuid (by_name) : NULL;

  if (failed)
    vr_validation_skip (v, "defined domains of the same name or UUID");
  if (by_uuid != NULL && !is_own_domain (v, by_uuid))
    report_same_uuid (v, by_uuid);
  if (by_name != NULL && g_strcmp0 (name_uuid, v->uuid) != 0)
    report_same_name (v, by_name);
}

static void
report_planned (VrValidation *v, VrPlannedSystem *other)
{
  const char *other_name = vr_planned_system_get_name (other);
  g_autofree char *hint = NULL;

  if (g_strcmp0 (vr_planned_system_get_uuid (other), v->uuid) == 0)
    {
      hint = g_strdup_printf ("validate that one (planned system '%s'), or "
                              "destroy it first", other_name);
      vr_validation_add (v, VR_FINDING_PLANNED_UUID,
                         vr_validation_node (v, "/domain/uuid"), hint,
                         "this VM is already planned as '%s' (from %s)",
                         other_name,
                         vr_planned_system_get_import_dir (other));
      return;
    }
  hint = v->system ? vr_validation_hint_set_example (v, "/domain/name",
                                                   "NEW")
                   : g_strdup ("import it under another name");
  vr_validation_add (v, VR_FINDING_PLANNED_NAME,
                     vr_validation_node (v, "/domain/name"), hint,
                     "planned system '%s' (UUID %s, from %s) has the same "
                     "name", other_name, vr_planned_system_get_uuid (other),
                     vr_planned_system_get_import_dir (other));
}

/* The planned system of uuid, if it is another one than this. */
static void
check_indexed_uuid (VrValidation *v, const char *uuid, const char *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrPlannedSystem) other = NULL;

  if (uuid == NULL || g_strcmp0 (uuid, self) == 0)
    return;
  other = vr_store_load (v->store, uuid, &error);
  if (other != NULL)
    report_planned (v, other);
}

/* Two reads at most: the folder named by the UUID, and the one whose name
 * the caller's index knows. */
static void
check_planned_indexed (VrValidation *v, const char *self)
{
  g_autofree char *named = NULL;

  /* v->uuid is normalized (hex and dashes only): a folder name. */
  check_indexed_uuid (v, v->uuid, self);
  if (v->name != NULL)
    named = v->options.planned_by_name (v->name,
                                        v->options.planned_by_name_data);
  if (named != NULL && g_strcmp0 (named, v->uuid) != 0)
    check_indexed_uuid (v, named, self);
}

static void
check_planned (VrValidation *v)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) all = NULL;
  const char *self = v->system ? vr_planned_system_get_uuid (v->system)
                               : NULL;

  if (v->options.planned_by_name != NULL)
    {
      check_planned_indexed (v, self);
      return;
    }
  all = vr_store_list (v->store, &error);
  if (all == NULL)
    {
      vr_validation_skip (v, "other planned systems (the state directory "
                             "cannot be read)");
      return;
    }
  for (guint i = 0; i < all->len; i++)
    {
      VrPlannedSystem *other = all->pdata[i];

      /* The store keeps one system per UUID: the same UUID is this one. */
      if (g_strcmp0 (vr_planned_system_get_uuid (other), self) == 0)
        continue;
      if (g_strcmp0 (vr_planned_system_get_uuid (other), v->uuid) == 0
          || g_strcmp0 (vr_planned_system_get_name (other), v->name) == 0)
        report_planned (v, other);
    }
}

void
vr_validate_conflicts (VrValidation *v)
{
  check_domains (v);
  vr_validate_mac_conflicts (v);
  if (v->store != NULL)
    check_planned (v);
}
