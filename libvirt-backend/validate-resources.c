/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest takes from the host: vCPUs, memory and its CPU model. */
#include "config.h"

#include "domain-xml.h"
#include "errors.h"
#include "validate-private.h"

/* The most vCPUs the hypervisor allows for this machine: the domain
 * capabilities' word, else the machine's maxCpus from the capabilities. */
static guint
vcpu_limit (VrValidation *v)
{
  const VrMachine *machine;

  if (v->dcaps != NULL && v->dcaps->vcpu_max > 0)
    return v->dcaps->vcpu_max;
  machine = vr_validation_find_machine (v, v->machine);
  return machine ? machine->max_cpus : 0;
}

/* A saved state resumes only with the size it was saved with. */
static char *
resize_hint (VrValidation *v, const char *xpath, const char *value)
{
  g_autofree char *set = vr_validation_hint_set (v, xpath, value);

  if (v->save_file == NULL || !v->check_save)
    return g_steal_pointer (&set);
  return g_strdup_printf ("the saved state resumes only at this size: "
                          "realize it on a host that takes it, or boot it "
                          "afresh without the saved state and: %s", set);
}

static void
check_vcpus (VrValidation *v, guint host_cpus)
{
  guint vcpus = vr_domain_xml_get_vcpus (v->doc);
  guint limit = v->platform_ok ? vcpu_limit (v) : 0;
  xmlNode *node = vr_validation_node (v, "/domain/vcpu");
  g_autofree char *value = NULL;
  g_autofree char *hint = NULL;

  if (limit > 0 && vcpus > limit)
    {
      value = g_strdup_printf ("%u", MIN (limit, MAX (host_cpus, 1)));
      hint = resize_hint (v, "/domain/vcpu", value);
      vr_validation_add (v, VR_FINDING_VCPU_MAX, node, hint,
                         "%u vCPUs, but %s allows at most %u for machine "
                         "type '%s'", vcpus, v->emulator, limit, v->machine);
      return;
    }
  if (host_cpus == 0 || vcpus <= host_cpus)
    return;
  value = g_strdup_printf ("%u", host_cpus);
  hint = resize_hint (v, "/domain/vcpu", value);
  vr_validation_add (v, VR_FINDING_VCPU_HOST, node, hint,
                     "%u vCPUs on a host with %u CPUs: the guest will run, "
                     "but its vCPUs will compete for them", vcpus, host_cpus);
}

static void
check_memory (VrValidation *v, guint64 host_kib)
{
  guint64 kib = vr_domain_xml_get_memory_kib (v->doc);
  xmlNode *node = vr_validation_node (v, "/domain/memory");
  g_autofree char *unit = vr_validation_string (
      v, "string(/domain/memory/@unit)");
  g_autofree char *wanted = g_format_size_full (kib * 1024,
                                                G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *have = g_format_size_full (host_kib * 1024,
                                              G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *value = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                            host_kib / 2 / 1024 * 1024);
  g_autofree char *set = NULL;
  g_autofree char *hint = NULL;

  if (host_kib == 0 || kib <= host_kib)
    return;
  if (unit == NULL || g_str_equal (unit, "KiB") || g_str_equal (unit, "k"))
    set = vr_validation_hint_set (v, "/domain/memory", value);
  else
    set = g_strdup_printf ("set /domain/memory below %s KiB", value);
  hint = g_strdup_printf ("realize it on a host with more than %s of "
                          "memory, or (booting afresh) lower it: %s",
                          wanted, set);
  vr_validation_add (v, VR_FINDING_MEMORY_HOST, node, hint,
                     "the guest has %s of memory, but this host has %s in "
                     "all", wanted, have);
}

void
vr_validate_resources (VrValidation *v)
{
  g_autoptr (GError) error = NULL;
  guint cpus = 0;
  guint64 memory_kib = 0;

  if (!vr_host_caps_get_node (v->caps, &cpus, &memory_kib, &error))
    {
      g_autofree char *what = g_strdup_printf ("host CPUs and memory (%s)",
                                               error->message);

      vr_validation_skip (v, what);
    }
  check_vcpus (v, cpus);
  check_memory (v, memory_kib);
}

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
    hint = vr_validation_hint_set (v, "/domain/cpu/@mode", other);
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
  const char *reason = NULL;

  if (!vr_host_caps_compare_cpu (v->caps, v->emulator, v->arch, v->machine,
                                 v->virttype, cpu_xml, &usable, &reason,
                                 &error))
    {
      vr_validation_skip (v, what);
      return NULL;
    }
  return usable ? NULL : reason;
}

/* libvirt's word on the whole <cpu>, features and all. */
static void
compare_cpu (VrValidation *v, xmlNode *cpu, const char *model)
{
  g_autofree char *xml = vr_node_to_xml (cpu);
  const char *reason = vr_validation_cpu_unusable (v, xml, "CPU comparison");
  const char *other = usable_model (v);
  g_autofree char *hint = NULL;

  if (reason == NULL)
    return;
  /* The model itself runs here: its required features do not. */
  if (g_strcmp0 (other, model) == 0 && supported_mode (v) != NULL)
    {
      g_autofree char *set = vr_validation_hint_set (v, "/domain/cpu/@mode",
                                                     supported_mode (v));

      hint = g_strdup_printf ("drop the features this host lacks from "
                              "/domain/cpu, or let libvirt give the guest "
                              "what this host has: %s", set);
    }
  else if (other != NULL)
    hint = vr_validation_hint_set (v, "/domain/cpu/model", other);
  vr_validation_add (v, VR_FINDING_CPU_MODEL,
                     vr_validation_node (v, "/domain/cpu/model"), hint,
                     "CPU model '%s' cannot run on this host: %s", model,
                     reason);
}

static void
check_cpu_model (VrValidation *v, xmlNode *cpu, const char *model)
{
  const char *other = usable_model (v);
  /* The emulator lists every model it knows. */
  gboolean unknown = g_hash_table_size (v->dcaps->cpu_models) > 0
                     && !g_hash_table_contains (v->dcaps->cpu_models, model);
  g_autofree char *hint = NULL;

  if (!unknown && vr_domain_caps_cpu_model_usable (v->dcaps, model)
                      != VR_SUPPORT_NO)
    {
      compare_cpu (v, cpu, model);
      return;
    }
  if (other != NULL)
    hint = vr_validation_hint_set (v, "/domain/cpu/model", other);
  if (unknown)
    vr_validation_add (v, VR_FINDING_CPU_MODEL,
                       vr_validation_node (v, "/domain/cpu/model"), hint,
                       "CPU model '%s' is unknown to %s", model, v->emulator);
  else
    vr_validation_add (v, VR_FINDING_CPU_MODEL,
                       vr_validation_node (v, "/domain/cpu/model"), hint,
                       "CPU model '%s' is not usable on this host (the host "
                       "CPU lacks features it needs)", model);
}

void
vr_validate_cpu (VrValidation *v)
{
  xmlNode *cpu = vr_validation_node (v, "/domain/cpu");
  g_autofree char *mode = NULL;
  g_autofree char *model = NULL;

  /* Without domain capabilities the skipped checks are already named. */
  if (cpu == NULL || !v->platform_ok || v->dcaps == NULL)
    return;
  mode = vr_node_string (cpu, "string(@mode)");
  model = vr_node_string (cpu, "string(model)");
  if (mode != NULL && !g_str_equal (mode, "custom"))
    check_cpu_mode (v, mode);
  else if (model != NULL)
    check_cpu_model (v, cpu, model);
}
