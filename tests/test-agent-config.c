/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent.conf: the [Hosts] a caller may name, and what is refused there. */
#include "config.h"

#include "agent-config.h"
#include "errors.h"
#include "test-util.h"

static VrAgentConfig *
load (const char *text, GError **error)
{
  g_autofree char *dir = test_mkdtemp ();
  g_autofree char *path = g_build_filename (dir, "agent.conf", NULL);
  VrAgentConfig *config;

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  config = vr_agent_config_load (path, error);
  test_rmtree (dir);
  return config;
}

static void
test_hosts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrAgentConfig) config = load (
      "[Agent]\nMaxImports=3\n[Hosts]\n"
      "node2=qemu+ssh://root@node2/system?keyfile=/etc/k\n"
      "b.local-1=qemu+tcp://10.0.0.2/system\n", &error);
  const char *const names[] = { "node2", "b.local-1", NULL };
  const char *const uris[] = { "qemu+ssh://root@node2/system?keyfile=/etc/k",
                               "qemu+tcp://10.0.0.2/system", NULL };

  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) config->host_names,
                               names));
  g_assert_true (g_strv_equal ((const char *const *) config->host_uris,
                               uris));
  g_assert_cmpuint (config->max_imports, ==, 3);
}

static void
test_no_hosts (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrAgentConfig) config = load ("[Agent]\n", &error);
  g_autoptr (VrAgentConfig) missing = vr_agent_config_load (
      "/nonexistent/agent.conf", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (config->host_names), ==, 0);
  g_assert_cmpuint (g_strv_length (config->host_uris), ==, 0);
  g_assert_cmpuint (g_strv_length (missing->host_names), ==, 0);
}

/* Each bad entry stops the load with a message naming group and key. */
static void
test_refused (void)
{
  static const struct {
    const char *text;
    const char *needle;
  } cases[] = {
    { "[Hosts]\nnode2=qemu+ssh://root:secret@node2/system\n", "password" },
    { "[Hosts]\nnode2=not a uri\n", "not a libvirt URI" },
    { "[Hosts]\nnode2=\n", "not a libvirt URI" },
    { "[Hosts]\nno/de=qemu:///system\n", "a host's name is" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VrAgentConfig) config = load (cases[i].text, &error);

      g_assert_null (config);
      test_assert_error (error, VR_ERROR_INVALID_PARAMETER, "[Hosts]",
                         cases[i].needle, NULL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-config/hosts", test_hosts);
  g_test_add_func ("/agent-config/no-hosts", test_no_hosts);
  g_test_add_func ("/agent-config/refused", test_refused);
  return g_test_run ();
}
