/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's rendering of a finding's fix (cli/hint.c), built alone: the
 * command it prints, run through a shell's word splitting, gives `edit`
 * back the exact XPath and value the backend gave as data. */
#include "config.h"

#include "hint.h"

/* argv of the command, as a shell would split it. */
static GStrv
split (const char *command)
{
  GStrv argv = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, &error));
  g_assert_no_error (error);
  return argv;
}

static void
check (const char *name, const char *xpath, const char *value,
       const char *expected)
{
  g_autoptr (VrFindingFix) fix = vr_finding_fix_new (xpath, value);
  g_autofree char *command = vr_cli_fix_command (name, fix);
  g_autofree char *assignment = value ? g_strdup_printf ("%s=%s", xpath,
                                                         value)
                                      : g_strdup (xpath);
  g_auto (GStrv) argv = split (command);

  g_assert_cmpstr (command, ==, expected);
  g_assert_cmpuint (g_strv_length (argv), ==, 5);
  g_assert_cmpstr (argv[0], ==, "virt-realize");
  g_assert_cmpstr (argv[1], ==, "edit");
  g_assert_cmpstr (argv[2], ==, name);
  g_assert_cmpstr (argv[3], ==, value ? "--set" : "--remove");
  g_assert_cmpstr (argv[4], ==, assignment);
}

static void
test_plain (void)
{
  check ("vr-guest", "/domain/vcpu", "1",
         "virt-realize edit vr-guest --set /domain/vcpu=1");
  check ("vr-guest", "/domain/devices/sound", NULL,
         "virt-realize edit vr-guest --remove /domain/devices/sound");
}

/* XPaths with [ ] and ' read best in double quotes; anything a shell
 * expands in them takes single quotes. */
static void
test_quoted (void)
{
  check ("vr guest", "/domain/devices/disk[@device='cdrom']", NULL,
         "virt-realize edit \"vr guest\" --remove "
         "\"/domain/devices/disk[@device='cdrom']\"");
  check ("g", "/domain/description", "$HOME `id`",
         "virt-realize edit g --set '/domain/description=$HOME `id`'");
  check ("g", "/domain/title", "it's \"x\"",
         "virt-realize edit g --set '/domain/title=it'\\''s \"x\"'");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-hint/plain", test_plain);
  g_test_add_func ("/cli-hint/quoted", test_quoted);
  return g_test_run ();
}
