/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "options.h"

#include "auth.h"

#include "errors.h"
#include "handoff.h"

gboolean
vr_options_check_known (GVariant *options, const char *const *known,
                        GError **error)
{
  GVariantIter iter;
  const char *key;

  g_variant_iter_init (&iter, options);
  while (g_variant_iter_next (&iter, "{&sv}", &key, NULL))
    if (!g_str_equal (key, VR_AUTH_NO_USER_INTERACTION)
        && (known == NULL || !g_strv_contains (known, key)))
      {
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "unknown option '%s'", key);
        return FALSE;
      }
  return TRUE;
}

gboolean
vr_option_string (GVariant *options, const char *key, char **value,
                  GError **error)
{
  g_autoptr (GVariant) v = g_variant_lookup_value (options, key, NULL);

  if (v == NULL)
    return TRUE;
  if (!g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INCORRECT_TYPE,
                   "option '%s' must be a string (s), not %s", key,
                   g_variant_get_type_string (v));
      return FALSE;
    }
  *value = g_variant_dup_string (v, NULL);
  return TRUE;
}

gboolean
vr_option_boolean (GVariant *options, const char *key,
                   gboolean *value, GError **error)
{
  g_autoptr (GVariant) v = g_variant_lookup_value (options, key, NULL);

  if (v == NULL)
    return TRUE;
  if (!g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INCORRECT_TYPE,
                   "option '%s' must be a boolean (b), not %s", key,
                   g_variant_get_type_string (v));
      return FALSE;
    }
  *value = g_variant_get_boolean (v);
  return TRUE;
}

gboolean
vr_realize_options_parse (GVariant *options, VrRealizeOptions *out,
                          char **pool, char **pool_dir, GError **error)
{
  /* import-dir (h) is the caller's fd of the import directory, taken by
   * the handler itself. */
  static const char *const known[] = { "pool", "pool-dir", "import-dir",
                                       "handoff", "start", "copy-disks",
                                       "host", NULL };
  VrRealizeOptions parsed = *out;
  g_autofree char *new_pool = NULL;
  g_autofree char *new_pool_dir = NULL;
  g_autofree char *handoff = NULL;

  if (!vr_options_check_known (options, known, error)
      || !vr_option_string (options, "pool", &new_pool, error)
      || !vr_option_string (options, "pool-dir", &new_pool_dir, error)
      || !vr_option_string (options, "handoff", &handoff, error)
      || !vr_option_boolean (options, "start", &parsed.start, error)
      || !vr_option_boolean (options, "copy-disks", &parsed.copy_disks,
                             error))
    return FALSE;
  if (new_pool_dir != NULL && !g_path_is_absolute (new_pool_dir))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'pool-dir' must be an absolute path, not '%s'",
                   new_pool_dir);
      return FALSE;
    }
  if (handoff != NULL && !vr_handoff_from_string (handoff, &parsed.handoff))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'handoff' must be auto, link or managedsave, "
                   "not '%s'", handoff);
      return FALSE;
    }
  parsed.pool = new_pool;
  parsed.pool_dir = new_pool_dir;
  *out = parsed;
  *pool = g_steal_pointer (&new_pool);
  *pool_dir = g_steal_pointer (&new_pool_dir);
  return TRUE;
}

gboolean
vr_option_host (GVariant *options, char **host, GError **error)
{
  g_autofree char *value = NULL;

  if (!vr_option_string (options, "host", &value, error))
    return FALSE;
  if (value != NULL && *value == '\0')
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "option 'host' names no host (empty)");
      return FALSE;
    }
  *host = g_steal_pointer (&value);
  return TRUE;
}

gboolean
vr_import_options_parse (GVariant *options, VrImportFlags *flags,
                         GError **error)
{
  static const char *const known[] = { "new-id", "discard-saved-state",
                                       NULL };
  gboolean new_id = FALSE;
  gboolean discard = FALSE;

  if (!vr_options_check_known (options, known, error)
      || !vr_option_boolean (options, "new-id", &new_id, error)
      || !vr_option_boolean (options, "discard-saved-state", &discard,
                             error))
    return FALSE;
  *flags = (new_id ? VR_IMPORT_NEW_ID : 0)
           | (discard ? VR_IMPORT_DISCARD_SAVED_STATE : 0);
  return TRUE;
}
