/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the guest takes from the host: vCPUs and memory. */
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

  return vr_validation_hint_afresh (v, "the saved state resumes only at "
                                       "this size: realize it on a host "
                                       "that takes it", set);
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

/* The fix when <memory> is what asks too much: lower it, or a host with
 * more. */
static char *
memory_hint (VrValidation *v, const char *wanted, const char *value)
{
  g_autofree char *unit = vr_validation_string (
      v, "string(/domain/memory/@unit)");
  g_autofree char *set = NULL;
  g_autofree char *keep = NULL;

  if (unit == NULL || g_str_equal (unit, "KiB") || g_str_equal (unit, "k"))
    set = vr_validation_hint_set (v, "/domain/memory", value);
  else
    set = g_strdup_printf ("set /domain/memory below %s KiB", value);
  keep = g_strdup_printf ("realize it on a host with more than %s of "
                          "memory", wanted);
  return vr_validation_hint_afresh (v, keep, set);
}

/* When the NUMA cells, memory modules or <maxMemory> ask more than
 * <memory>, lowering <memory> is no fix. */
static char *
bound_hint (guint64 memory_kib, const char *value)
{
  g_autofree char *memory = g_format_size_full (memory_kib * 1024,
                                                G_FORMAT_SIZE_IEC_UNITS);

  return g_strdup_printf ("the guest takes more than its <memory> (%s): "
                          "lower the sizes of /domain/cpu/numa/cell, "
                          "/domain/devices/memory and /domain/maxMemory "
                          "below %s KiB in all, or realize it on a host "
                          "with more memory", memory, value);
}

/* Judged on what the guest may take (the NUMA cells and memory modules
 * libvirt sums over <memory>, <maxMemory>), the bound the per-user limits
 * count: a guest whose cells ask more than <memory> gets the cells. */
static void
check_memory (VrValidation *v, guint64 host_kib)
{
  guint64 memory_kib = vr_domain_xml_get_memory_kib (v->doc);
  guint64 kib = vr_domain_xml_get_memory_bound_kib (v->doc);
  xmlNode *node = vr_validation_node (v, "/domain/memory");
  g_autofree char *wanted = g_format_size_full (kib * 1024,
                                                G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *have = g_format_size_full (host_kib * 1024,
                                              G_FORMAT_SIZE_IEC_UNITS);
  g_autofree char *value = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                            host_kib / 2 / 1024 * 1024);
  g_autofree char *hint = NULL;

  if (host_kib == 0 || kib <= host_kib)
    return;
  hint = kib > memory_kib ? bound_hint (memory_kib, value)
                          : memory_hint (v, wanted, value);
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
