/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "planned-system.h"
#include "realize.h"

G_BEGIN_DECLS

/* The options (a{sv}) of the agent's methods, as any caller on the bus
 * sends them: parsed here, with no D-Bus object involved, so that the
 * fuzz target (tests/fuzz/fuzz-agent-options.c) reaches the same code. */

/* Options of a method may hold only known keys (known NULL: none). */
gboolean vr_options_check_known (GVariant *options,
                                 const char *const *known,
                                 GError **error);

/* An option of a{sv}: absent leaves *value as it is; another type than
 * the one named is VR_ERROR_INCORRECT_TYPE. */
gboolean vr_option_string (GVariant *options,
                           const char *key,
                           char **value,
                           GError **error);
gboolean vr_option_boolean (GVariant *options,
                            const char *key,
                            gboolean *value,
                            GError **error);

/* Realize's options: "pool" (s), "pool-dir" (s, absolute), "handoff" (s:
 * auto, link or managedsave), "start" (b), "copy-disks" (b); "host" is
 * let through for vr_option_host. The strings
 * go to *pool and *pool_dir (the caller frees them) and out points at
 * them; on an error nothing is set. */
gboolean vr_realize_options_parse (GVariant *options,
                                   VrRealizeOptions *out,
                                   char **pool,
                                   char **pool_dir,
                                   GError **error);

/* Realize's and Validate's "host" (s, not empty): the remote host the
 * caller names, to be looked up among agent.conf's [Hosts] (never opened
 * as given). Absent leaves *host as it is. */
gboolean vr_option_host (GVariant *options,
                         char **host,
                         GError **error);

/* Import's options: "new-id" (b), "discard-saved-state" (b). */
gboolean vr_import_options_parse (GVariant *options,
                                  VrImportFlags *flags,
                                  GError **error);

G_END_DECLS
