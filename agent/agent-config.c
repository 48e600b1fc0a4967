/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "agent-config.h"

#include "auth.h"
#include "errors.h"

#define GROUP "Agent"
#define HOSTS "Hosts"

void
vr_agent_config_free (VrAgentConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->path);
  g_strfreev (config->pool_dirs);
  g_strfreev (config->trusted_import_dirs);
  g_strfreev (config->host_names);
  g_strfreev (config->host_uris);
  g_strfreev (config->bridges);
  g_free (config);
}

/* A ';'-separated list; absent (key or group): TRUE with *list NULL. */
static gboolean
read_list (GKeyFile *file, const char *key, char ***list, GError **error)
{
  g_autoptr (GError) local = NULL;

  *list = g_key_file_get_string_list (file, GROUP, key, NULL, &local);
  if (*list != NULL
      || g_error_matches (local, G_KEY_FILE_ERROR,
                          G_KEY_FILE_ERROR_KEY_NOT_FOUND)
      || g_error_matches (local, G_KEY_FILE_ERROR,
                          G_KEY_FILE_ERROR_GROUP_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

/* A ';'-separated list of absolute folders; absent: none. */
static gboolean
read_dirs (GKeyFile *file, const char *key, VrAgentConfig *config,
           char ***out, GError **error)
{
  g_auto (GStrv) dirs = NULL;

  if (!read_list (file, key, &dirs, error))
    return FALSE;
  for (guint i = 0; dirs != NULL && dirs[i] != NULL; i++)
    if (!g_path_is_absolute (dirs[i]))
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s: [" GROUP "] %s: '%s' is not an absolute path",
                     config->path, key, dirs[i]);
        return FALSE;
      }
  if (dirs != NULL)
    *out = g_steal_pointer (&dirs);
  return TRUE;
}

/* A ';'-separated list of network interface names (what the kernel
 * takes: 1 to 15 bytes, no '/', no space); absent: none. */
static gboolean
read_names (GKeyFile *file, const char *key, VrAgentConfig *config,
            char ***out, GError **error)
{
  g_auto (GStrv) names = NULL;

  if (!read_list (file, key, &names, error))
    return FALSE;
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (names[i][0] == '\0' || strlen (names[i]) > 15
        || strpbrk (names[i], "/ \t:") != NULL)
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s: [" GROUP "] %s: '%s' is not a network interface "
                     "name", config->path, key, names[i]);
        return FALSE;
      }
  if (names != NULL)
    *out = g_steal_pointer (&names);
  return TRUE;
}

/* A number of 1 or more; absent: *value stays. */
static gboolean
read_count (GKeyFile *file, const char *key, VrAgentConfig *config,
            guint *value, GError **error)
{
  g_autoptr (GError) local = NULL;
  int number;

  if (!g_key_file_has_key (file, GROUP, key, NULL))
    return TRUE;
  number = g_key_file_get_integer (file, GROUP, key, &local);
  if (local != NULL || number < 1)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: [" GROUP "] %s must be a number of 1 or more",
                   config->path, key);
      return FALSE;
    }
  *value = (guint) number;
  return TRUE;
}

/* A host's name is what callers type (--host NAME) and what the Manager's
 * Hosts property shows: a plain word. */
static gboolean
host_name_valid (const char *name)
{
  if (*name == '\0' || strlen (name) > 64)
    return FALSE;
  for (const char *c = name; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && strchr ("._-", *c) == NULL)
      return FALSE;
  return TRUE;
}

/* A libvirt URI with a scheme; the Hosts property shows it to every
 * local user, so it may hold no password. */
static gboolean
read_host (GKeyFile *file, const char *name, VrAgentConfig *config,
           char **uri, GError **error)
{
  g_autoptr (GUri) parsed = NULL;
  g_autofree char *value = g_key_file_get_string (file, HOSTS, name, NULL);

  if (!host_name_valid (name))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: [" HOSTS "] '%s': a host's name is letters, digits, "
                   "'.', '_' and '-' (at most 64)", config->path, name);
      return FALSE;
    }
  if (value != NULL)
    parsed = g_uri_parse (value, G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (parsed == NULL || g_uri_get_scheme (parsed) == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: [" HOSTS "] %s: '%s' is not a libvirt URI",
                   config->path, name, value ? value : "");
      return FALSE;
    }
  if (g_uri_get_password (parsed) != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: [" HOSTS "] %s: the URI holds a password, which "
                   "every local user could read (use a key file)",
                   config->path, name);
      return FALSE;
    }
  *uri = g_steal_pointer (&value);
  return TRUE;
}

/* [Hosts] NAME=URI, in the file's order; absent: none. */
static gboolean
read_hosts (GKeyFile *file, VrAgentConfig *config, GError **error)
{
  gsize n = 0;
  g_auto (GStrv) names = g_key_file_get_keys (file, HOSTS, &n, NULL);
  g_autoptr (GPtrArray) uris = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; i < n; i++)
    {
      char *uri = NULL;

      if (!read_host (file, names[i], config, &uri, error))
        return FALSE;
      g_ptr_array_add (uris, uri);
    }
  g_ptr_array_add (uris, NULL);
  g_strfreev (config->host_names);
  g_strfreev (config->host_uris);
  config->host_names = names ? g_steal_pointer (&names) : g_new0 (char *, 1);
  config->host_uris = (char **) g_ptr_array_free (g_steal_pointer (&uris),
                                                  FALSE);
  return TRUE;
}

VrAgentConfig *
vr_agent_config_load (const char *path, GError **error)
{
  g_autoptr (VrAgentConfig) config = g_new0 (VrAgentConfig, 1);
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local = NULL;

  config->path = g_strdup (path);
  config->max_pending = VR_AUTH_DEFAULT_MAX_PENDING;
  config->max_imports = VR_AGENT_DEFAULT_MAX_IMPORTS;
  config->host_names = g_new0 (char *, 1);
  config->host_uris = g_new0 (char *, 1);
  config->max_domains_per_user = VR_AGENT_DEFAULT_MAX_DOMAINS_PER_USER;
  config->max_import_jobs_per_user
      = VR_AGENT_DEFAULT_MAX_IMPORT_JOBS_PER_USER;
  config->max_kept_jobs_per_user = VR_AGENT_DEFAULT_MAX_KEPT_JOBS_PER_USER;
  config->max_waiting_imports_per_user
      = VR_AGENT_DEFAULT_MAX_WAITING_IMPORTS_PER_USER;
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local))
    {
      if (g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&config);
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "cannot read %s: %s", path, local->message);
      return NULL;
    }
  if (!read_dirs (file, "PoolDirs", config, &config->pool_dirs, error)
      || !read_dirs (file, "TrustedImportDirs", config,
                     &config->trusted_import_dirs, error)
      || !read_names (file, "Bridges", config, &config->bridges, error)
      || !read_count (file, "MaxPendingAuthorizations", config,
                      &config->max_pending, error)
      || !read_count (file, "MaxImports", config, &config->max_imports,
                      error)
      || !read_hosts (file, config, error)
      || !read_count (file, "MaxDomainsPerUser", config,
                      &config->max_domains_per_user, error)
      || !read_count (file, "MaxMemoryPerUser", config,
                      &config->max_memory_per_user, error)
      || !read_count (file, "MaxVcpusPerUser", config,
                      &config->max_vcpus_per_user, error)
      || !read_count (file, "MaxDiskPerUser", config,
                      &config->max_disk_per_user, error)
      || !read_count (file, "MaxPlannedPerUser", config,
                      &config->max_planned_per_user, error)
      || !read_count (file, "MaxPlannedBytesPerUser", config,
                      &config->max_planned_bytes_per_user, error)
      || !read_count (file, "MaxValidationsPerUser", config,
                      &config->max_validations_per_user, error)
      || !read_count (file, "MaxImportJobsPerUser", config,
                      &config->max_import_jobs_per_user, error)
      || !read_count (file, "MaxKeptJobsPerUser", config,
                      &config->max_kept_jobs_per_user, error)
      || !read_count (file, "MaxWaitingImportsPerUser", config,
                      &config->max_waiting_imports_per_user, error))
    return NULL;
  return g_steal_pointer (&config);
}
