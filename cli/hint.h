/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "findings.h"

G_BEGIN_DECLS

/* The command that applies a finding's fix to planned system
 * system_name: "virt-realize edit NAME --set XPATH=VALUE" or "--remove
 * XPATH", quoted for a shell. */
char *vr_cli_fix_command (const char *system_name, const VrFindingFix *fix);

G_END_DECLS
