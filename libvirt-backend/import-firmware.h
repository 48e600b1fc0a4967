/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "import-dir.h"

G_BEGIN_DECLS

/* The guest's own state that lives beside its disks on the host: the UEFI
 * variable store (DIR/nvram/NAME_VARS.fd) and the swtpm state
 * (DIR/tpm/tpm2/… or DIR/tpm/tpm1.2/…), as export writes them. */

/* The largest files we take: an aarch64 AAVMF variable store is 64 MiB,
 * x86 OVMF's 540 KiB; a swtpm state file is a few KiB to 1 MiB. */
#define VR_NVRAM_MAX_SIZE (G_GUINT64_CONSTANT (128) << 20)
#define VR_TPM_FILE_MAX_SIZE (G_GUINT64_CONSTANT (16) << 20)
#define VR_TPM_MAX_FILES 64

/* Fills dir->nvram_* and dir->tpm_*: each directory is optional; what is
 * there must be regular files (no links, no devices) of sane sizes, and
 * domain.xml must have the device the state belongs to. Errors are
 * VR_ERROR_INVALID_PARAMETER and name the file. */
gboolean vr_import_dir_read_firmware (VrImportDir *dir, GError **error);

/* "tpm2" for TPM 2.0, "tpm1.2" for 1.2: swtpm's folder for the version
 * domain.xml's emulator backend names (libvirt's default is 2.0). */
const char *vr_tpm_state_folder (const char *version);

/* The version of /domain/devices/tpm/backend[@type='emulator'], "2.0"
 * when it names none; NULL when doc has no emulated TPM. */
char *vr_domain_tpm_version (xmlDoc *doc);

/* Whether doc boots UEFI (firmware='efi', or a pflash loader or an
 * <nvram>): the guest has a variable store. */
gboolean vr_domain_uses_nvram (xmlDoc *doc);

G_END_DECLS
