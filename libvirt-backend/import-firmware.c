/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import-firmware.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"
#include "safe-xml.h"

const char *
vr_tpm_state_folder (const char *version)
{
  return g_strcmp0 (version, "1.2") == 0 ? "tpm1.2" : "tpm2";
}

/* swtpm's state file for each version (swtpm's docs, "--tpmstate"). */
static const char *
permall_name (const char *folder)
{
  return g_str_equal (folder, "tpm1.2") ? "tpm-00.permall" : "tpm2-00.permall";
}

char *
vr_domain_tpm_version (xmlDoc *doc)
{
  g_autofree char *version = NULL;

  if (vr_xml_xpath_node (doc, "/domain/devices/tpm/backend[@type='emulator']")
      == NULL)
    return NULL;
  version = vr_xml_xpath_string (
      doc, "string(/domain/devices/tpm/backend[@type='emulator']/@version)");
  return version ? g_steal_pointer (&version) : g_strdup ("2.0");
}

gboolean
vr_domain_uses_nvram (xmlDoc *doc)
{
  return vr_xml_xpath_node (doc, "/domain/os[@firmware='efi']") != NULL
         || vr_xml_xpath_node (doc, "/domain/os/loader[@type='pflash']") != NULL
         || vr_xml_xpath_node (doc, "/domain/os/nvram") != NULL;
}

/* A regular file below at, no bigger than max. */
static VrImportFile *
stat_file (VrImportDir *dir, int at, const char *relpath, guint64 max,
           GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir, relpath);
  g_autofree char *base = g_path_get_basename (relpath);
  VrImportFile *file;
  struct stat st;

  if (fstatat (at, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      vr_error_set_errno (error, errno, "cannot stat %s", display_name);
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size == 0 || (guint64)st.st_size > max)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER, "%s: %s",
                   display_name,
                   S_ISLNK (st.st_mode) ? "is a symbolic link (links are not "
                                          "followed in an import directory)"
                   : !S_ISREG (st.st_mode) ? "not a regular file"
                   : st.st_size == 0       ? "empty"
                                           : "too large for this kind of file");
      return NULL;
    }
  file = g_new0 (VrImportFile, 1);
  file->relpath = g_strdup (relpath);
  file->size = st.st_size;
  file->mode = st.st_mode & 07777;
  return file;
}

static gboolean
read_nvram (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name
      = vr_import_dir_describe (dir, VR_IMPORT_NVRAM_DIR);
  g_autoptr (GPtrArray) names = NULL;
  g_autofree char *relpath = NULL;
  gboolean missing = FALSE;
  int fd = vr_import_dir_open_subdir (dir->fd, VR_IMPORT_NVRAM_DIR,
                                      display_name, &missing, error);

  if (fd < 0)
    return missing;
  names = vr_import_dir_list_names (dup (fd), display_name, error);
  if (names != NULL && names->len != 1)
    g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                 "%s: holds %u files; it holds the one UEFI variable store "
                 "(NAME_VARS.fd)",
                 display_name, names->len);
  else if (names != NULL)
    {
      relpath = g_build_filename (VR_IMPORT_NVRAM_DIR, names->pdata[0], NULL);
      dir->nvram = stat_file (dir, fd, relpath, VR_NVRAM_MAX_SIZE, error);
    }
  close (fd);
  return dir->nvram != NULL;
}

static gboolean
read_tpm_files (VrImportDir *dir, int fd, const char *display_name,
                GError **error)
{
  g_autoptr (GPtrArray) names
      = vr_import_dir_list_names (dup (fd), display_name, error);
  gboolean has_permall = FALSE;

  if (names == NULL)
    return FALSE;
  if (names->len > VR_TPM_MAX_FILES)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: %u files, more than a TPM state has", display_name,
                   names->len);
      return FALSE;
    }
  dir->tpm_files
      = g_ptr_array_new_with_free_func ((GDestroyNotify)vr_import_file_free);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *relpath = g_build_filename (
          VR_IMPORT_TPM_DIR, dir->tpm_folder, names->pdata[i], NULL);
      VrImportFile *file
          = stat_file (dir, fd, relpath, VR_TPM_FILE_MAX_SIZE, error);

      if (file == NULL)
        return FALSE;
      g_ptr_array_add (dir->tpm_files, file);
      has_permall
          |= g_str_equal (names->pdata[i], permall_name (dir->tpm_folder));
    }
  if (has_permall)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: no %s, the TPM's state", display_name,
               permall_name (dir->tpm_folder));
  return FALSE;
}

/* tpm/ holds one folder, tpm2/ or tpm1.2/, as swtpm keeps it. */
static gboolean
read_tpm (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name
      = vr_import_dir_describe (dir, VR_IMPORT_TPM_DIR);
  g_autofree char *folder_name = NULL;
  g_autoptr (GPtrArray) names = NULL;
  gboolean missing = FALSE;
  int fd = vr_import_dir_open_subdir (dir->fd, VR_IMPORT_TPM_DIR, display_name,
                                      &missing, error);
  int sub;
  gboolean ok;

  if (fd < 0)
    return missing;
  names = vr_import_dir_list_names (dup (fd), display_name, error);
  if (names == NULL || names->len != 1
      || (!g_str_equal (names->pdata[0], "tpm2")
          && !g_str_equal (names->pdata[0], "tpm1.2")))
    {
      if (names != NULL)
        g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                     "%s: holds one folder, tpm2 or tpm1.2 (swtpm's state)",
                     display_name);
      close (fd);
      return FALSE;
    }
  dir->tpm_folder = g_strdup (names->pdata[0]);
  folder_name = g_build_filename (display_name, dir->tpm_folder, NULL);
  sub = vr_import_dir_open_subdir (fd, dir->tpm_folder, folder_name, &missing,
                                   error);
  close (fd);
  if (sub < 0)
    return FALSE;
  ok = read_tpm_files (dir, sub, folder_name, error);
  close (sub);
  return ok;
}

/* Carried state without its device would be dropped silently at
 * realize: say so at import instead. */
static gboolean
check_devices (VrImportDir *dir, GError **error)
{
  g_autofree char *version = vr_domain_tpm_version (dir->doc);
  g_autofree char *xml = vr_import_dir_describe (dir, VR_IMPORT_DOMAIN_XML);

  if (dir->nvram != NULL && !vr_domain_uses_nvram (dir->doc))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s/%s: a UEFI variable store, but %s boots no UEFI "
                   "firmware (no <os firmware='efi'>, pflash <loader> or "
                   "<nvram>)",
                   dir->path, dir->nvram->relpath, xml);
      return FALSE;
    }
  if (dir->tpm_files == NULL)
    return TRUE;
  if (version == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s/%s: a TPM state, but %s has no emulated TPM (<tpm> "
                   "with <backend type='emulator'>)",
                   dir->path, VR_IMPORT_TPM_DIR, xml);
      return FALSE;
    }
  if (g_str_equal (vr_tpm_state_folder (version), dir->tpm_folder))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s/%s/%s: a state for another TPM version than the %s that "
               "%s names",
               dir->path, VR_IMPORT_TPM_DIR, dir->tpm_folder, version, xml);
  return FALSE;
}

gboolean
vr_import_dir_read_firmware (VrImportDir *dir, GError **error)
{
  return read_nvram (dir, error) && read_tpm (dir, error)
         && check_devices (dir, error);
}
