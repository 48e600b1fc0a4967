/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The planned guest CPU, judged the way libvirt and QEMU will treat it
 * when the guest next boots:
 * - check='none' (libvirt's own default CPU, and a custom CPU under TCG):
 *   libvirt compares nothing and QEMU, run without "enforce", drops what
 *   the host lacks and starts the guest: a warning naming those features;
 * - check='partial' (the default for a custom CPU under KVM and for
 *   host-model): libvirt compares the CPU with the hypervisor's host CPU
 *   before starting and refuses an incompatible one: an error where
 *   virConnectCompareHypervisorCPU says so;
 * - check='full': as partial, and libvirt refuses a guest whose CPU QEMU
 *   could not give in full: a model the domain capabilities mark
 *   usable='no' is an error too.
 * A saved guest resumes with the CPU it was saved with: validate-saved.c
 * judges that one. */
#include "config.h"

#include <string.h>

#include "validate-private.h"

/* A saved guest keeps its CPU: another one only for a guest that boots. */
#define KEEP_CPU "the saved guest resumes only with the CPU it was saved " \
                 "with: realize it on a host whose CPU has what it needs"

static const char *
supported_mode (VrValidation *v)
{
  static const char *const modes[] = { "host-model", "maximum" };

  for (guint i = 0; i < G_N_ELEMENTS (modes); i++)
    {
      g_autofree char *key = g_strdup_printf ("cpu/mode/%s", modes[i]);

      if (vr_domain_caps_supported (v->dcaps, key) == VR_SUPPORT_YES)
        return modes[i];
    }
  return NULL;
}

static void
check_cpu_mode (VrValidation *v, const char *mode)
{
  g_autofree char *key = g_strdup_printf ("cpu/mode/%s", mode);
  const char *other;
  g_autofree char *hint = NULL;

  if (vr_domain_caps_supported (v->dcaps, key) != VR_SUPPORT_NO)
    return;
  other = supported_mode (v);
  if (other != NULL)
    {
      g_autofree char *set = vr_validation_hint_set (v, "/domain/cpu/@mode",
                                                     other);

      hint = vr_validation_hint_afresh (v, KEEP_CPU, set);
    }
  vr_validation_add (v, VR_FINDING_CPU_MODE,
                     vr_validation_node (v, "/domain/cpu/@mode"), hint,
                     "CPU mode '%s' is not supported by this host%s", mode,
                     g_strcmp0 (v->virttype, "qemu") == 0
                         ? " (guests run under TCG emulation here, with no "
                           "host CPU to pass through)"
                         : "");
}

/* A usable model of the host, to suggest. */
static const char *
usable_model (VrValidation *v)
{
  static const char *const models[] = { "qemu64", "kvm64", "qemu32" };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++)
    if (vr_domain_caps_cpu_model_usable (v->dcaps, models[i])
        == VR_SUPPORT_YES)
      return models[i];
  return NULL;
}

const char *
vr_validation_cpu_unusable (VrValidation *v, const char *cpu_xml,
                            const char *what)
{
  g_autoptr (GError) error = NULL;
  gboolean usable = TRUE;
  char *reason = NULL;

  if (!vr_host_caps_compare_cpu (v->caps, v->emulator, v->arch, v->machine,
                                 v->virttype, cpu_xml, &usable, &reason,
                                 &error))
    {
      vr_validation_skip (v, what);
      return NULL;
    }
  /* The run keeps the copy: the cache may drop its entry meanwhile. */
  if (reason != NULL)
    g_ptr_array_add (v->kept, reason);
  return usable ? NULL : reason;
}

/* What libvirt does when <cpu> has no check attribute (qemu_domain.c,
 * qemuDomainDefCPUPostParse). */
static const char *
effective_check (VrValidation *v, xmlNode *cpu, const char *mode)
{
  g_autofree char *check = vr_node_attr (cpu, "check");

  if (check != NULL)
    return g_intern_string (check);
  if (g_strcmp0 (mode, "host-passthrough") == 0
      || g_strcmp0 (mode, "maximum") == 0)
    return "none";
  if (g_strcmp0 (mode, "host-model") == 0)
    return "partial";
  /* Custom CPUs under TCG are not compared with the host's. */
  return g_strcmp0 (v->virttype, "qemu") == 0 ? "none" : "partial";
}

/* The features QEMU will drop: the domain capabilities' blockers where
 * libvirt lists them, else the list in libvirt's comparison message
 * ("... does not provide required features: pni, svm"). */
static char *
dropped_features (VrValidation *v, const char *model, const char *reason)
{
  const char *blockers = vr_domain_caps_cpu_blockers (v->dcaps, model);
  const char *list = reason ? strstr (reason, "features: ") : NULL;

  if (blockers != NULL)
    return g_strdup (blockers);
  if (list != NULL)
    return g_strdup (list + strlen ("features: "));
  if (reason != NULL)
    return g_strdup (reason);
  return g_strdup ("libvirt does not say which");
}

static void
warn_dropped (VrValidation *v, const char *model, const char *reason)
{
  g_autofree char *features = dropped_features (v, model, reason);

  vr_validation_add (v, VR_FINDING_CPU_DROPPED,
                     vr_validation_node (v, "/domain/cpu/model"),
                     "nothing needs to change for the guest to run; to "
                     "give it these features, realize it on a host whose "
                     "CPU has them",
                     "with check='none' libvirt starts CPU model '%s' "
                     "without comparing it, and QEMU drops what this host "
                     "lacks: %s", model, features);
}

/* libvirt refuses to start it: the hint offers what this host has. */
static void
refuse (VrValidation *v, const char *model, const char *check,
        const char *reason)
{
  const char *other = usable_model (v);
  const char *mode = supported_mode (v);
  g_autofree char *hint = NULL;

  /* The model itself runs here: its required features do not. */
  if (g_strcmp0 (other, model) == 0 && mode != NULL)
    {
      g_autofree char *set = vr_validation_hint_set (v, "/domain/cpu/@mode",
                                                     mode);

      hint = g_strdup_printf ("drop the features this host lacks from "
                              "/domain/cpu, or let libvirt give the guest "
                              "what this host has: %s", set);
    }
  else if (other != NULL)
    hint = vr_validation_hint_set (v, "/domain/cpu/model", other);
  if (hint != NULL)
    {
      g_autofree char *set = g_steal_pointer (&hint);

      hint = vr_validation_hint_afresh (v, KEEP_CPU, set);
    }
  vr_validation_add (v, VR_FINDING_CPU_MODEL,
                     vr_validation_node (v, "/domain/cpu/model"), hint,
                     "CPU model '%s' cannot run on this host with "
                     "check='%s' (libvirt refuses to start it): %s", model,
                     check, reason);
}

static void
check_cpu_model (VrValidation *v, xmlNode *cpu, const char *model,
                 const char *check)
{
  const char *other = usable_model (v);
  /* The emulator lists every model it knows. */
  gboolean unknown = g_hash_table_size (v->dcaps->cpu_models) > 0
                     && !g_hash_table_contains (v->dcaps->cpu_models, model);
  VrSupport usable = vr_domain_caps_cpu_model_usable (v->dcaps, model);
  g_autofree char *xml = vr_node_to_xml (cpu);
  g_autofree char *hint = NULL;
  const char *reason;

  if (unknown)
    {
      if (other != NULL)
        {
          g_autofree char *set = vr_validation_hint_set (
              v, "/domain/cpu/model", other);

          hint = vr_validation_hint_afresh (v, KEEP_CPU, set);
        }
      vr_validation_add (v, VR_FINDING_CPU_MODEL,
                         vr_validation_node (v, "/domain/cpu/model"), hint,
                         "CPU model '%s' is unknown to %s", model,
                         v->emulator);
      return;
    }
  reason = vr_validation_cpu_unusable (v, xml, "CPU comparison");
  if (g_str_equal (check, "none"))
    {
      if (reason != NULL || usable == VR_SUPPORT_NO)
        warn_dropped (v, model, reason);
      return;
    }
  if (reason == NULL && g_str_equal (check, "full")
      && usable == VR_SUPPORT_NO)
    reason = vr_domain_caps_cpu_blockers (v->dcaps, model)
                 ? vr_domain_caps_cpu_blockers (v->dcaps, model)
                 : "QEMU cannot give this model in full here "
                   "(usable='no')";
  if (reason != NULL)
    refuse (v, model, check, reason);
}

void
vr_validate_cpu (VrValidation *v)
{
  xmlNode *cpu = vr_doc_element (v->doc, "cpu", NULL);
  g_autofree char *mode = NULL;
  g_autofree char *model = NULL;

  /* Without domain capabilities the skipped checks are already named. */
  if (cpu == NULL || !v->platform_ok || v->dcaps == NULL)
    return;
  mode = vr_node_attr (cpu, "mode");
  model = vr_node_text (vr_node_child (cpu, "model"));
  if (mode != NULL && !g_str_equal (mode, "custom"))
    check_cpu_mode (v, mode);
  else if (model != NULL)
    check_cpu_model (v, cpu, model, effective_check (v, cpu, mode));
}
