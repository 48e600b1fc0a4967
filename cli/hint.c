/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's words for a finding's fix: the backend gives the edit as data
 * (VrFindingFix) and neutral hint text; only here does it become this
 * program's command line. Cockpit renders the same data its own way. */
#include "config.h"

#include <string.h>

#include "hint.h"

static gboolean
is_plain_word (const char *text)
{
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("-_.:/@+,=", *p) == NULL)
      return FALSE;
  return *text != '\0';
}

/* Double quotes read best around XPaths with [ ] and ' in them; anything
 * a shell would expand inside them gets its single quotes. */
static char *
quote_arg (const char *arg)
{
  if (is_plain_word (arg))
    return g_strdup (arg);
  if (strpbrk (arg, "\"$`\\!") == NULL)
    return g_strdup_printf ("\"%s\"", arg);
  return g_shell_quote (arg);
}

char *
vr_cli_fix_command (const char *system_name, const VrFindingFix *fix)
{
  g_autofree char *name = quote_arg (system_name);
  g_autofree char *assignment = NULL;
  g_autofree char *arg = NULL;

  if (fix->value == NULL)
    {
      arg = quote_arg (fix->xpath);
      return g_strdup_printf ("virt-realize edit %s --remove %s", name, arg);
    }
  assignment = g_strdup_printf ("%s=%s", fix->xpath, fix->value);
  arg = quote_arg (assignment);
  return g_strdup_printf ("virt-realize edit %s --set %s", name, arg);
}
