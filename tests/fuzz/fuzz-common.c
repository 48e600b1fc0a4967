/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "fuzz-common.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <sys/mman.h>
#include <unistd.h>

#include "errors.h"

static GPtrArray *tmpdirs;

static GLogWriterOutput
drop_messages (GLogLevelFlags level, const GLogField *fields, gsize n_fields,
               gpointer user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL
               | G_LOG_LEVEL_WARNING))
    return g_log_writer_standard_streams (level, fields, n_fields, user_data);
  return G_LOG_WRITER_HANDLED;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR)
          && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
remove_tmpdirs (void)
{
  for (guint i = 0; tmpdirs != NULL && i < tmpdirs->len; i++)
    remove_tree (tmpdirs->pdata[i]);
  g_clear_pointer (&tmpdirs, g_ptr_array_unref);
}

void
vr_fuzz_init (void)
{
  xmlInitParser ();
  g_log_set_writer_func (drop_messages, NULL, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL
                          | G_LOG_LEVEL_WARNING);
  /* The fuzzer's inputs never reach a terminal or a journal. */
  g_setenv ("G_MESSAGES_DEBUG", "", TRUE);
}

char *
vr_fuzz_string (const uint8_t *data, size_t size)
{
  char *text = g_malloc (size + 1);

  if (size > 0)
    memcpy (text, data, size);
  text[size] = '\0';
  return text;
}

int
vr_fuzz_memfd (const char *name)
{
  int fd = memfd_create (name, MFD_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  return fd;
}

static void
write_all (int fd, const uint8_t *data, size_t size)
{
  size_t done = 0;

  while (done < size)
    {
      ssize_t n = pwrite (fd, data + done, size - done, done);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      done += n;
    }
}

void
vr_fuzz_fd_set (int fd, const uint8_t *data, size_t size)
{
  g_assert_cmpint (ftruncate (fd, 0), ==, 0);
  write_all (fd, data, size);
}

void
vr_fuzz_write_at (int dir_fd, const char *name, const uint8_t *data,
                  size_t size)
{
  int fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
                   | O_NOFOLLOW, 0644);

  g_assert_cmpint (fd, >=, 0);
  write_all (fd, data, size);
  close (fd);
}

char *
vr_fuzz_tmpdir (const char *template)
{
  g_autoptr (GError) error = NULL;
  char *path = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  if (tmpdirs == NULL)
    {
      tmpdirs = g_ptr_array_new_with_free_func (g_free);
      atexit (remove_tmpdirs);
    }
  g_ptr_array_add (tmpdirs, g_strdup (path));
  return path;
}

void
vr_fuzz_check_outcome (gboolean ok, const GError *error, gboolean utf8_input)
{
  if (ok)
    {
      g_assert_null (error);
      return;
    }
  g_assert_nonnull (error);
  /* Ours: a seed code, or a system call's errno kept to the edge. */
  g_assert_true (error->domain == VR_ERROR
                 || error->domain == VR_ERRNO_ERROR);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  if (utf8_input)
    g_assert_true (g_utf8_validate (error->message, -1, NULL));
}
