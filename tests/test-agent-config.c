/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent.conf: the [Hosts] a caller may name, the [Agent] lists, and what
 * is refused there. */
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

/* The [Agent] lists: folders must be absolute, bridges interface names;
 * an absent key leaves the list empty. */
static void
test_lists (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VrAgentConfig) config = load (
      "[Agent]\nPoolDirs=/srv/pools;/var/pools;\nBridges=br0;vrtrust0;\n"
      "MaxDomainsPerUser=3\nMaxVcpusPerUser=24\nMaxDiskPerUser=102400\n"
      "MaxPlannedPerUser=5\nMaxPlannedBytesPerUser=8\n"
      "MaxValidationsPerUser=1\nMaxImportJobsPerUser=3\n"
      "MaxKeptJobsPerUser=4\nMaxWaitingImportsPerUser=5\n",
      &error);
  g_autoptr (VrAgentConfig) none = NULL;
  const char *const dirs[] = { "/srv/pools", "/var/pools", NULL };
  const char *const bridges[] = { "br0", "vrtrust0", NULL };
  static const struct {
    const char *text;
    const char *needle;
  } refused[] = {
    { "[Agent]\nPoolDirs=pools;\n", "'pools' is not an absolute path" },
    { "[Agent]\nTrustedImportDirs=/a;b;\n", "'b' is not an absolute path" },
    { "[Agent]\nBridges=br/0;\n", "not a network interface name" },
    { "[Agent]\nBridges=a-name-that-is-too-long;\n",
      "not a network interface name" },
    { "[Agent]\nMaxVcpusPerUser=0\n", "MaxVcpusPerUser must be a number" },
    { "[Agent]\nMaxDiskPerUser=100G\n", "MaxDiskPerUser must be a number" },
    { "[Agent]\nMaxPlannedBytesPerUser=64M\n",
      "MaxPlannedBytesPerUser must be a number" },
    { "[Agent]\nMaxImportJobsPerUser=0\n",
      "MaxImportJobsPerUser must be a number" },
    { "[Agent]\nMaxKeptJobsPerUser=0\n",
      "MaxKeptJobsPerUser must be a number" },
    { "[Agent]\nMaxWaitingImportsPerUser=-1\n",
      "MaxWaitingImportsPerUser must be a number" },
  };

  g_assert_no_error (error);
  g_assert_true (g_strv_equal ((const char *const *) config->pool_dirs,
                               dirs));
  g_assert_true (g_strv_equal ((const char *const *) config->bridges,
                               bridges));
  g_assert_cmpuint (config->max_domains_per_user, ==, 3);
  g_assert_cmpuint (config->max_vcpus_per_user, ==, 24);
  g_assert_cmpuint (config->max_disk_per_user, ==, 102400);
  g_assert_cmpuint (config->max_planned_per_user, ==, 5);
  g_assert_cmpuint (config->max_planned_bytes_per_user, ==, 8);
  g_assert_cmpuint (config->max_validations_per_user, ==, 1);
  g_assert_cmpuint (config->max_import_jobs_per_user, ==, 3);
  g_assert_cmpuint (config->max_kept_jobs_per_user, ==, 4);
  g_assert_cmpuint (config->max_waiting_imports_per_user, ==, 5);
  none = load ("[Agent]\nMaxImports=2\n", &error);
  g_assert_no_error (error);
  /* Unset: the host's CPUs decide, and the disk has no limit. */
  g_assert_cmpuint (none->max_vcpus_per_user, ==, 0);
  g_assert_cmpuint (none->max_disk_per_user, ==, 0);
  g_assert_cmpuint (none->max_import_jobs_per_user, ==, 8);
  g_assert_cmpuint (none->max_kept_jobs_per_user, ==, 32);
  g_assert_cmpuint (none->max_waiting_imports_per_user, ==, 8);
  g_assert_true (none->pool_dirs == NULL || none->pool_dirs[0] == NULL);
  g_assert_true (none->bridges == NULL || none->bridges[0] == NULL);
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) bad = NULL;
      g_autoptr (VrAgentConfig) failed = load (refused[i].text, &bad);

      g_assert_null (failed);
      test_assert_error (bad, VR_ERROR_INVALID_PARAMETER, "[Agent]",
                         refused[i].needle, NULL);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-config/hosts", test_hosts);
  g_test_add_func ("/agent-config/no-hosts", test_no_hosts);
  g_test_add_func ("/agent-config/refused", test_refused);
  g_test_add_func ("/agent-config/lists", test_lists);
  return g_test_run ();
}
