/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* edit's --set XPATH=VALUE (vr_xml_patch_set) and --remove XPATH
 * (vr_xml_patch_remove) on a planned domain XML like the test bed's; the
 * input is the argument. */
#include "config.h"

#include <string.h>

#include "edit.h"
#include "fuzz-common.h"
#include "safe-xml.h"

static const char domain_xml[] =
  "<domain type='kvm'>\n"
  "  <name>vr-guest-disk</name>\n"
  "  <uuid>5a1ad0c0-7e57-4b3d-9c1e-000000000002</uuid>\n"
  "  <memory unit='KiB'>65536</memory>\n"
  "  <currentMemory unit='KiB'>65536</currentMemory>\n"
  "  <vcpu placement='static'>1</vcpu>\n"
  "  <os>\n"
  "    <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>\n"
  "    <boot dev='hd'/>\n"
  "  </os>\n"
  "  <features><acpi/><apic/></features>\n"
  "  <cpu mode='custom' match='exact' check='none'>\n"
  "    <model fallback='forbid'>qemu64</model>\n"
  "  </cpu>\n"
  "  <clock offset='utc'/>\n"
  "  <on_poweroff>destroy</on_poweroff>\n"
  "  <devices>\n"
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
  "    <disk type='file' device='disk'>\n"
  "      <driver name='qemu' type='qcow2'/>\n"
  "      <source file='disks/disk0.qcow2'/>\n"
  "      <target dev='vda' bus='virtio'/>\n"
  "    </disk>\n"
  "    <interface type='network'>\n"
  "      <mac address='52:54:00:12:34:56'/>\n"
  "      <source network='default'/>\n"
  "      <model type='virtio'/>\n"
  "    </interface>\n"
  "    <!-- a comment -->\n"
  "    <graphics type='vnc' port='-1'/>\n"
  "    <memballoon model='none'/>\n"
  "  </devices>\n"
  "  <metadata><vr:tag xmlns:vr='http://example.org/vr'>x</vr:tag></metadata>\n"
  "</domain>\n";

static xmlDoc *planned;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  vr_fuzz_init ();
  planned = vr_xml_parse_buffer (domain_xml, strlen (domain_xml),
                                 "fuzz domain", "domain", &error);
  g_assert_no_error (error);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *arg = vr_fuzz_string (data, size);
  gboolean utf8 = g_utf8_validate (arg, -1, NULL);
  g_autoptr (xmlDoc) doc = xmlCopyDoc (planned, 1);
  g_autofree char *text = NULL;
  gboolean ok;

  ok = vr_xml_patch_set (doc, arg, &error);
  vr_fuzz_check_outcome (ok, error, utf8);
  g_clear_error (&error);
  ok = vr_xml_patch_remove (doc, arg, &error);
  vr_fuzz_check_outcome (ok, error, utf8);
  /* edit then writes the planned XML and reads it again. */
  text = vr_xml_to_string (doc);
  g_assert_nonnull (text);
  return 0;
}
