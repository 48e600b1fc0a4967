/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The options (a{sv}) of the agent's methods, as any local caller can
 * send them on the system bus: the input is the serialized dictionary,
 * checked as GDBus checks a message (not trusted, normal form). */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "options.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  vr_fuzz_init ();
  return 0;
}

/* Realize's and Validate's host: a non-empty string or refused. */
static void
parse_host (GVariant *options)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *host = NULL;
  gboolean ok = vr_option_host (options, &host, &error);

  vr_fuzz_check_outcome (ok, error, TRUE);
  if (ok && host != NULL)
    g_assert_cmpstr (host, !=, "");
}

static void
parse_realize (GVariant *options)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pool = NULL;
  g_autofree char *pool_dir = NULL;
  VrRealizeOptions parsed = { 0 };
  gboolean ok = vr_realize_options_parse (options, &parsed, &pool, &pool_dir,
                                          &error);

  vr_fuzz_check_outcome (ok, error, TRUE);
  if (!ok)
    return;
  g_assert_true (parsed.pool == pool);
  g_assert_true (parsed.pool_dir == pool_dir);
  if (pool_dir != NULL)
    g_assert_true (g_path_is_absolute (pool_dir));
  parse_host (options);
}

static void
parse_import (GVariant *options)
{
  g_autoptr (GError) error = NULL;
  VrImportFlags flags = 0;
  gboolean ok = vr_import_options_parse (options, &flags, &error);

  vr_fuzz_check_outcome (ok, error, TRUE);
}

/* Validate, GetDomainXML and Edit take options that are all reserved. */
static void
check_reserved (GVariant *options)
{
  g_autoptr (GError) error = NULL;
  gboolean ok = vr_options_check_known (options, NULL, &error);

  vr_fuzz_check_outcome (ok, error, TRUE);
  g_assert_true (ok == (g_variant_n_children (options) == 0));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  gpointer copy = g_memdup2 (data, size);
  g_autoptr (GVariant) wire = g_variant_ref_sink (g_variant_new_from_data (
      G_VARIANT_TYPE_VARDICT, copy, size, FALSE, g_free, copy));
  g_autoptr (GVariant) options = g_variant_get_normal_form (wire);

  parse_realize (options);
  parse_import (options);
  check_reserved (options);
  return 0;
}
