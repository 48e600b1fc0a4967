/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "libvirt-util.h"

#include "errors.h"

#include <glib/gstdio.h>

static void
quiet_error_func (void *user_data, virErrorPtr err)
{
  /* libvirt keeps the error per thread; we read it where the call failed. */
}

static gpointer
event_loop_thread (gpointer user_data)
{
  for (;;)
    virEventRunDefaultImpl ();
  return NULL;
}

void
vr_libvirt_init (void)
{
  static gsize once = 0;

  if (!g_once_init_enter (&once))
    return;
  virSetErrorFunc (NULL, quiet_error_func);
  virInitialize ();
  virEventRegisterDefaultImpl ();
  g_thread_unref (g_thread_new ("libvirt-events", event_loop_thread, NULL));
  g_once_init_leave (&once, 1);
}

int
vr_libvirt_error_code (int vir_error_number)
{
  switch (vir_error_number)
    {
    case VIR_ERR_OK:
      return VR_ERROR_COMPLETED;
    case VIR_ERR_NO_MEMORY:
      return VR_ERROR_NO_MEMORY;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_CONFIG_UNSUPPORTED:
    case VIR_ERR_ARGUMENT_UNSUPPORTED:
    case VIR_ERR_OPERATION_UNSUPPORTED:
      return VR_ERROR_NOT_SUPPORTED;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_XML_INVALID_SCHEMA:
    case VIR_ERR_INVALID_DOMAIN:
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_INVALID_CONN:
      return VR_ERROR_INVALID_PARAMETER;
    case VIR_ERR_OPERATION_DENIED:
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED:
      return VR_ERROR_ACCESS_DENIED;
    case VIR_ERR_OPERATION_INVALID:
      return VR_ERROR_INVALID_STATE;
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
      return VR_ERROR_TIMEOUT;
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_SYSTEM_ERROR:
    case VIR_ERR_RPC:
      return VR_ERROR_NOT_AVAILABLE;
    case VIR_ERR_DOM_EXIST:
    case VIR_ERR_RESOURCE_BUSY:
    case VIR_ERR_OPERATION_ABORTED:
      return VR_ERROR_IN_USE;
    case VIR_ERR_CPU_INCOMPATIBLE:
      return VR_ERROR_NOT_SUPPORTED;
    default:
      return VR_ERROR_FAILED;
    }
}

void
vr_libvirt_set_saved_error (virErrorPtr saved, GError **error,
                            const char *format, ...)
{
  va_list ap;
  g_autofree char *what = NULL;

  va_start (ap, format);
  what = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (saved == NULL || saved->code == VIR_ERR_OK)
    g_set_error (error, VR_ERROR, VR_ERROR_FAILED, "%s", what);
  else
    g_set_error (error, VR_ERROR, vr_libvirt_error_code (saved->code),
                 "%s: %s (libvirt error %d)", what,
                 saved->message ? saved->message : "unknown libvirt error",
                 saved->code);
  virFreeError (saved);
}

static char *
embedded_root (const char *uri)
{
  g_autoptr (GUri) parsed = NULL;
  g_autoptr (GHashTable) params = NULL;

  if (uri == NULL || !g_str_has_prefix (uri, "qemu:///embed?"))
    return NULL;
  parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  if (parsed == NULL || g_uri_get_query (parsed) == NULL)
    return NULL;
  params = g_uri_parse_params (g_uri_get_query (parsed), -1, "&",
                               G_URI_PARAMS_NONE, NULL);
  return params ? g_strdup (g_hash_table_lookup (params, "root")) : NULL;
}

/* A new embedded root gets the one setting it cannot run without on a
 * host with no virtlogd; QEMU (user libvirt-qemu) must traverse the root,
 * which a 0700 directory would forbid. An existing qemu.conf is the
 * user's and stays as it is. */
static void
prepare_embedded_root (const char *uri)
{
  g_autofree char *root = embedded_root (uri);
  g_autofree char *etc = NULL;
  g_autofree char *conf = NULL;

  if (root == NULL || !g_path_is_absolute (root))
    return;
  etc = g_build_filename (root, "etc", NULL);
  conf = g_build_filename (etc, "qemu.conf", NULL);
  if (g_file_test (conf, G_FILE_TEST_EXISTS))
    return;
  if (g_mkdir_with_parents (etc, 0755) < 0)
    return;
  g_chmod (root, 0755);
  g_file_set_contents (conf, "# written by virt-realize for an embedded root:"
                       " no virtlogd needed\nstdio_handler = \"file\"\n",
                       -1, NULL);
}

char *
vr_libvirt_virsh_on (virConnectPtr conn)
{
  g_autofree char *uri = virConnectGetURI (conn);
  g_autofree char *quoted = uri ? g_shell_quote (uri) : NULL;

  return quoted ? g_strdup_printf ("virsh -c %s", quoted)
                : g_strdup ("virsh");
}

virConnectPtr
vr_libvirt_open (const char *uri, GError **error)
{
  virConnectPtr conn;

  vr_libvirt_init ();
  prepare_embedded_root (uri);
  conn = virConnectOpen (uri);
  if (conn == NULL)
    vr_libvirt_set_error (error, "cannot connect to '%s'",
                          uri ? uri : "the default hypervisor");
  return conn;
}
