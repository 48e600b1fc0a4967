/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Capabilities and domain capabilities as structs, and the per-connection
 * cache on the test driver, which has capabilities but no domain
 * capabilities and no CPU comparison. */
#include "config.h"

#include <string.h>

#include "errors.h"
#include "host-caps.h"
#include "libvirt-util.h"
#include "test-util.h"

static const char caps_xml[] =
  "<capabilities><host><cpu><arch>x86_64</arch></cpu></host>"
  "<guest><os_type>hvm</os_type><arch name='x86_64'>"
  "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
  "<machine maxCpus='255'>pc-i440fx-7.2</machine>"
  "<machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>"
  "<machine maxCpus='255' deprecated='yes'>pc-i440fx-1.4</machine>"
  "<domain type='qemu'/>"
  "<domain type='kvm'><emulator>/usr/bin/kvm</emulator>"
  "<machine maxCpus='710'>pc-q35-7.2</machine></domain>"
  "</arch></guest></capabilities>";

static const char domcaps_xml[] =
  "<domainCapabilities><path>/usr/bin/qemu-system-x86_64</path>"
  "<domain>qemu</domain><machine>pc-i440fx-7.2</machine><arch>x86_64</arch>"
  "<vcpu max='255'/>"
  "<os supported='yes'><enum name='firmware'><value>efi</value></enum>"
  "<loader supported='yes'><value>/usr/share/OVMF/OVMF_CODE_4M.fd</value>"
  "<enum name='type'><value>rom</value><value>pflash</value></enum>"
  "</loader></os>"
  "<cpu><mode name='host-passthrough' supported='no'/>"
  "<mode name='custom' supported='yes'>"
  "<model usable='yes' vendor='unknown'>qemu64</model>"
  "<model usable='no' vendor='Intel'>Skylake-Server</model>"
  "<blockers model='Skylake-Server'><feature name='avx512f'/>"
  "<feature name='pku'/></blockers></mode></cpu>"
  "<devices><disk supported='yes'><enum name='bus'><value>ide</value>"
  "<value>virtio</value></enum></disk>"
  "<graphics supported='no'><enum name='type'/></graphics></devices>"
  "</domainCapabilities>";

static void
test_parse_caps (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrCaps) caps = vr_caps_parse (caps_xml, strlen (caps_xml),
                                           &error);
  const VrGuestCaps *guest;
  const VrGuestDomain *kvm;
  const VrMachine *pc;

  g_assert_no_error (error);
  g_assert_cmpstr (caps->host_arch, ==, "x86_64");
  g_assert_null (vr_caps_find_guest (caps, "hvm", "aarch64"));
  guest = vr_caps_find_guest (caps, "hvm", "x86_64");
  g_assert_nonnull (guest);
  g_assert_null (vr_guest_caps_find_domain (guest, "xen"));
  g_assert_cmpstr (vr_guest_caps_emulator (
                       guest, vr_guest_caps_find_domain (guest, "qemu")),
                   ==, "/usr/bin/qemu-system-x86_64");
  kvm = vr_guest_caps_find_domain (guest, "kvm");
  g_assert_cmpstr (vr_guest_caps_emulator (guest, kvm), ==, "/usr/bin/kvm");
  g_assert_cmpuint (vr_guest_caps_machines (guest, kvm)->len, ==, 1);
  pc = vr_machines_find (vr_guest_caps_machines (guest, NULL), "pc");
  g_assert_cmpstr (pc->canonical, ==, "pc-i440fx-7.2");
  g_assert_cmpuint (pc->max_cpus, ==, 255);
  g_assert_true (vr_machines_find (guest->machines,
                                   "pc-i440fx-1.4")->deprecated);
}

static void
test_parse_domain_caps (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrDomainCaps) d = vr_domain_caps_parse (
      domcaps_xml, strlen (domcaps_xml), &error);
  g_autofree char *buses = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (d->vcpu_max, ==, 255);
  g_assert_cmpstr (d->machine, ==, "pc-i440fx-7.2");
  g_assert_cmpint (vr_domain_caps_enum_has (d, "devices/disk/bus", "virtio"),
                   ==, VR_SUPPORT_YES);
  g_assert_cmpint (vr_domain_caps_enum_has (d, "devices/disk/bus", "xen"),
                   ==, VR_SUPPORT_NO);
  g_assert_cmpint (vr_domain_caps_enum_has (d, "devices/video/modelType",
                                            "vga"), ==, VR_SUPPORT_UNKNOWN);
  /* Listed with no values: nothing is supported. */
  g_assert_cmpint (vr_domain_caps_enum_has (d, "devices/graphics/type",
                                            "vnc"), ==, VR_SUPPORT_NO);
  buses = vr_domain_caps_enum_join (d, "devices/disk/bus");
  g_assert_cmpstr (buses, ==, "ide, virtio");
  g_assert_cmpint (vr_domain_caps_supported (d, "cpu/mode/host-passthrough"),
                   ==, VR_SUPPORT_NO);
  g_assert_cmpint (vr_domain_caps_supported (d, "devices/disk"), ==,
                   VR_SUPPORT_YES);
  g_assert_cmpint (vr_domain_caps_cpu_model_usable (d, "Skylake-Server"), ==,
                   VR_SUPPORT_NO);
  g_assert_cmpstr (vr_domain_caps_cpu_blockers (d, "Skylake-Server"), ==,
                   "avx512f, pku");
  g_assert_null (vr_domain_caps_cpu_blockers (d, "qemu64"));
  g_assert_cmpint (vr_domain_caps_cpu_model_usable (d, "qemu64"), ==,
                   VR_SUPPORT_YES);
  g_assert_cmpint (vr_domain_caps_cpu_model_usable (d, "EPYC"), ==,
                   VR_SUPPORT_UNKNOWN);
  g_assert_cmpstr (g_ptr_array_index (vr_domain_caps_get_enum (d, "os/loader"),
                                      0),
                   ==, "/usr/share/OVMF/OVMF_CODE_4M.fd");
  g_assert_cmpint (vr_domain_caps_enum_has (d, "os/firmware", "efi"), ==,
                   VR_SUPPORT_YES);
}

static void
test_parse_refuses (void)
{
  const char *bad[] = {
    "<capabilities>",
    "<!DOCTYPE c [<!ENTITY x 'y'>]><capabilities>&x;</capabilities>",
    "<domain/>",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (vr_caps_parse (bad[i], strlen (bad[i]), &error));
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
      g_clear_error (&error);
      g_assert_null (vr_domain_caps_parse (bad[i], strlen (bad[i]), &error));
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, NULL);
    }
}

static VrHostCaps *
test_driver_caps (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (virConnect) conn = vr_libvirt_open ("test:///default", &error);

  g_assert_no_error (error);
  return vr_host_caps_new (conn);
}

static void
test_test_driver (void)
{
  g_autoptr (VrHostCaps) caps = test_driver_caps ();
  g_autoptr (GError) error = NULL;
  const VrCaps *first = vr_host_caps_get_caps (caps, &error);
  guint cpus = 0;
  guint64 memory = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (vr_host_caps_get_driver (caps), ==, "TEST");
  g_assert_true (vr_host_caps_is_local (caps));
  g_assert_nonnull (vr_caps_find_guest (first, "hvm", "i686"));
  /* Fetched once: the same struct again. */
  g_assert_true (vr_host_caps_get_caps (caps, NULL) == first);
  g_assert_true (vr_host_caps_get_node (caps, &cpus, &memory, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cpus, >, 0);
  g_assert_cmpuint (memory, >, 0);
}

/* No domain capabilities: a NOT_SUPPORTED error, kept and given again. */
static void
test_test_driver_unsupported (void)
{
  g_autoptr (VrHostCaps) caps = test_driver_caps ();
  gboolean usable = FALSE;
  g_autofree char *reason = NULL;

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (vr_host_caps_get_domain_caps (caps, NULL, "i686", NULL,
                                                   "test", &error));
      test_assert_error (error, VR_ERROR_NOT_SUPPORTED, NULL);
      g_clear_error (&error);
      g_assert_false (vr_host_caps_compare_cpu (
          caps, NULL, "i686", NULL, "test",
          "<cpu><model>qemu64</model></cpu>", &usable, &reason, &error));
      test_assert_error (error, VR_ERROR_NOT_SUPPORTED, NULL);
    }
}

/* Fourteenth review, D1: every distinct <cpu> a validation compared was
 * kept until the connection dropped (the XML is the caller's, up to
 * 4 MiB; a validation may run before polkit answers). 200 distinct ones
 * leave at most 64 verdicts, and one past 16 KiB none. */
static void
test_cpu_cache_bound (void)
{
  g_autoptr (VrHostCaps) caps = test_driver_caps ();
  g_autofree char *padding = g_strnfill (20000, 'A');

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *xml = g_strdup_printf (
          "<cpu><model>qemu64</model><feature policy='require' "
          "name='x%u'/></cpu>", i);
      g_autoptr (GError) error = NULL;
      g_autofree char *reason = NULL;
      gboolean usable = FALSE;

      vr_host_caps_compare_cpu (caps, NULL, "i686", NULL, "test", xml,
                                &usable, &reason, &error);
      g_assert_cmpuint (vr_host_caps_cached_cpu_verdicts (caps), <=, 64);
    }
  g_assert_cmpuint (vr_host_caps_cached_cpu_verdicts (caps), >, 0);
  {
    g_autofree char *xml = g_strdup_printf (
        "<cpu><model>qemu64</model><feature policy='require' "
        "name='%s'/></cpu>", padding);
    g_autoptr (GError) error = NULL;
    g_autofree char *reason = NULL;
    gboolean usable = FALSE;
    guint before = vr_host_caps_cached_cpu_verdicts (caps);

    g_assert_false (vr_host_caps_compare_cpu (caps, NULL, "i686", NULL,
                                              "test", xml, &usable, &reason,
                                              &error));
    test_assert_error (error, VR_ERROR_NOT_SUPPORTED, NULL);
    g_assert_cmpuint (vr_host_caps_cached_cpu_verdicts (caps), ==, before);
  }
}

static gpointer
fetch_thread (gpointer data)
{
  VrHostCaps *caps = data;

  for (guint i = 0; i < 50; i++)
    {
      g_assert_nonnull (vr_host_caps_get_caps (caps, NULL));
      g_assert_null (vr_host_caps_get_domain_caps (caps, NULL, "i686", NULL,
                                                   "test", NULL));
    }
  return NULL;
}

static void
test_threads (void)
{
  g_autoptr (VrHostCaps) caps = test_driver_caps ();
  GThread *threads[4];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("caps", fetch_thread, caps);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/host-caps/parse/caps", test_parse_caps);
  g_test_add_func ("/host-caps/parse/domain-caps", test_parse_domain_caps);
  g_test_add_func ("/host-caps/parse/refuses", test_parse_refuses);
  g_test_add_func ("/host-caps/test-driver", test_test_driver);
  g_test_add_func ("/host-caps/test-driver/unsupported",
                   test_test_driver_unsupported);
  g_test_add_func ("/host-caps/threads", test_threads);
  g_test_add_func ("/host-caps/cpu-cache-bound", test_cpu_cache_bound);
  return g_test_run ();
}
