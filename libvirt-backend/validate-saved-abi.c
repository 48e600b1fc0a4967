/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt itself judges whether the planned XML can resume the saved
 * guest: virDomainSaveImageDefineXML reads only the image's header, XML
 * and cookie, runs libvirt's own ABI-stability check of the new XML
 * against the saved one (the check that refuses it at realize) and
 * rewrites the header; it never reads QEMU's stream. So validate hands it
 * a copy of just that part, in a private file of the state directory,
 * with the XML realize would write (vr_image_xml_for), and reports a
 * refusal: every difference the guest can see that our own comparisons
 * (validate-saved.c) do not know of, in libvirt's words. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "fs-util.h"
#include "handoff.h"
#include "libvirt-util.h"
#include "realize.h"
#include "save-image.h"
#include "validate-private.h"

/* Who removes a head copy: the run that made it, right after libvirt's
 * answer; one left by a process killed in between (a few KiB, no guest
 * memory) goes at the next validate, known by its maker's pid being gone. */
static void
sweep_dead_heads (const char *dir)
{
  g_autoptr (GDir) entries = g_dir_open (dir, 0, NULL);
  const char *name;

  while (entries != NULL && (name = g_dir_read_name (entries)) != NULL)
    {
      guint64 pid;
      char *end = NULL;
      g_autofree char *path = NULL;

      if (!g_str_has_prefix (name, ".vr-abi-"))
        continue;
      pid = g_ascii_strtoull (name + strlen (".vr-abi-"), &end, 10);
      if (end == NULL || *end != '-' || pid == 0 || pid > G_MAXINT
          || kill ((pid_t) pid, 0) == 0 || errno != ESRCH)
        continue;
      path = g_build_filename (dir, name, NULL);
      unlink (path);
    }
}

/* The image's header and XML (and cookie), byte for byte, and one byte
 * of its stream, into a new file of dir, named for this process; NULL
 * unless that head holds the image read and judged (the caller may have
 * rewritten the file since: thirteenth review, C1). */
static char *
write_head (VrValidation *v, const VrSaveImage *image, const char *dir)
{
  g_autofree char *template = g_strdup_printf (".vr-abi-%d-XXXXXX",
                                               (int) getpid ());
  g_autofree char *path = g_build_filename (dir, template, NULL);
  gsize size = VR_SAVE_IMAGE_HEADER_SIZE + (gsize) image->data_len + 1;
  g_autofree char *head = g_malloc (size);
  int src = vr_import_dir_open_file (v->dir, v->save_file, NULL);
  g_autoptr (VrSaveImage) written = NULL;
  int fd;
  gboolean ok;

  if (src < 0)
    return NULL;
  ok = pread (src, head, size, 0) == (ssize_t) size;
  close (src);
  if (!ok)
    return NULL;
  /* mkstemp opens with O_CREAT|O_EXCL: a name nobody else has. */
  fd = g_mkstemp_full (path, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return NULL;
  ok = write (fd, head, size) == (ssize_t) size
       && (written = vr_save_image_read_fd (fd, path, NULL)) != NULL
       && vr_save_image_same_head (written, image)
       && (v->dir->save == NULL
           || vr_save_image_same_head (written, v->dir->save));
  close (fd);
  if (ok)
    return g_steal_pointer (&path);
  unlink (path);
  return NULL;
}

/* libvirt's words, without its "unsupported configuration: " prefix. */
static const char *
refusal (void)
{
  virErrorPtr err = virGetLastError ();
  const char *message = err && err->message ? err->message : "refused";
  const char *colon = strstr (message, ": ");

  return colon != NULL && g_str_has_prefix (message, "unsupported")
             ? colon + 2 : message;
}

static void
ask_libvirt (VrValidation *v, virConnectPtr conn, const char *head,
             const char *xml, const char *file)
{
  if (virDomainSaveImageDefineXML (conn, head, xml, 0) == 0)
    return;
  vr_findings_add (
      v->findings, VR_FINDING_SAVE_ABI, file,
      "the saved state fixes this part of the guest: set it back to the "
      "saved value (in libvirt's words, 'source' is the saved value and "
      "'target' the planned one), or discard the saved state",
      "libvirt refuses the planned XML for this saved state: %s", refusal ());
}

/* Only where the libvirt behind the connection opens files of this host
 * (a local QEMU connection: embedded, system or session); elsewhere the
 * check is noted as skipped. */
void
vr_validate_saved_abi (VrValidation *v, const VrSaveImage *image,
                       xmlDoc *saved, const char *file)
{
  virConnectPtr conn = vr_host_caps_get_connection (v->caps);
  g_autofree char *local = conn ? vr_handoff_save_dir (conn) : NULL;
  g_autofree char *head = NULL;
  g_autofree char *xml = NULL;

  if (v->dir == NULL || v->store == NULL)
    return;
  if (local == NULL)
    {
      vr_validation_skip (v, "libvirt's own check of the saved state "
                             "(not a local connection)");
      return;
    }
  if (!vr_validation_emulators_listed (v->caps, saved)
      || !vr_validation_emulators_listed (v->caps, v->doc))
    {
      vr_validation_skip (v, "libvirt's own check of the saved state "
                             "(an emulator this host does not list: "
                             "libvirt would run it to probe it)");
      return;
    }
  sweep_dead_heads (vr_store_get_path (v->store));
  head = write_head (v, image, vr_store_get_path (v->store));
  if (head == NULL)
    {
      vr_validation_skip (v, "libvirt's own check of the saved state "
                             "(no private copy of its header)");
      return;
    }
  xml = vr_image_xml_for (v->doc, saved, conn, v->name);
  ask_libvirt (v, conn, head, xml, file);
  unlink (head);
}
