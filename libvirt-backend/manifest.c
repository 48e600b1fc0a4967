/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "errors.h"
#include "safe-xml.h"
#include "test-hooks.h"

/* Large reads keep hashing near the disk's speed; the cancellable is
 * looked at once per buffer. */
#define HASH_BUFFER_SIZE (4u << 20)
/* An import directory is DIR and DIR/disks; deeper trees are not ours. */
#define MAX_DEPTH 8
#define SHA256_HEX_LEN 64

typedef struct {
  char *path;    /* relative to the directory, '/'-separated */
  guint64 size;
  char *sha256;  /* lower-case hex */
} Entry;

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->path);
  g_free (entry->sha256);
  g_free (entry);
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  const Entry *x = *(const Entry *const *) a;
  const Entry *y = *(const Entry *const *) b;

  return strcmp (x->path, y->path);
}

/* One walk of a folder tree; caller (NULL: none) must be able to list
 * every folder it enters, so that no name below a folder they may not
 * read is reported to them. */
typedef struct {
  const char *display_dir;
  const VrCaller *caller;
  GPtrArray *entries;
} Walk;

static gboolean walk_dir (Walk *w, int fd, const char *prefix, guint depth,
                          GError **error);

/* Takes sub. */
static gboolean
walk_subdir (Walk *w, int sub, const char *relpath, const char *display_name,
             guint depth, GError **error)
{
  struct stat st = { 0 };

  if (w->caller != NULL
      && (fstat (sub, &st) < 0
          || !vr_caller_may_fd (w->caller, sub, &st, R_OK | X_OK)))
    {
      close (sub);
      return vr_caller_denied (display_name, w->caller, &st, "list", error);
    }
  return walk_dir (w, sub, relpath, depth + 1, error);
}

static gboolean
walk_entry (Walk *w, int fd, const char *name, const char *relpath,
            guint depth, GError **error)
{
  g_autofree char *display_name = g_build_filename (w->display_dir, relpath,
                                                    NULL);
  struct stat st;
  Entry *entry;
  int sub;

  if (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      vr_error_set_errno (error, errno, "cannot stat %s", display_name);
      return FALSE;
    }
  if (S_ISREG (st.st_mode))
    {
      entry = g_new0 (Entry, 1);
      entry->path = g_strdup (relpath);
      entry->size = st.st_size;
      g_ptr_array_add (w->entries, entry);
      return TRUE;
    }
  if (!S_ISDIR (st.st_mode) || depth >= MAX_DEPTH)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: %s", display_name,
                   S_ISLNK (st.st_mode) ? "is a symbolic link (links are "
                                          "not followed in an import "
                                          "directory)"
                   : S_ISDIR (st.st_mode) ? "directories nest too deep"
                                          : "not a regular file");
      return FALSE;
    }
  sub = openat (fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", display_name);
      return FALSE;
    }
  return walk_subdir (w, sub, relpath, display_name, depth, error);
}

/* Takes fd (closes it). */
static gboolean
walk_dir (Walk *w, int fd, const char *prefix, guint depth, GError **error)
{
  DIR *d = fdopendir (fd);
  struct dirent *item;
  gboolean ok = TRUE;

  if (d == NULL)
    {
      vr_error_set_errno (error, errno, "cannot list %s", w->display_dir);
      close (fd);
      return FALSE;
    }
  while (ok && (errno = 0, item = readdir (d)) != NULL)
    {
      g_autofree char *relpath = NULL;

      if (g_str_equal (item->d_name, ".") || g_str_equal (item->d_name, "..")
          || (prefix == NULL && g_str_equal (item->d_name,
                                             VR_IMPORT_MANIFEST)))
        continue;
      relpath = prefix ? g_build_filename (prefix, item->d_name, NULL)
                       : g_strdup (item->d_name);
      ok = walk_entry (w, fd, item->d_name, relpath, depth, error);
    }
  if (ok && errno != 0)
    {
      vr_error_set_errno (error, errno, "cannot list %s", w->display_dir);
      ok = FALSE;
    }
  closedir (d);
  return ok;
}

/* Every regular file below dir_fd but the top manifest.xml, by path;
 * with a caller, only in folders they may list. */
static GPtrArray *
list_files (int dir_fd, const char *display_dir, const VrCaller *caller,
            GError **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);
  Walk w = { display_dir, caller, entries };
  int fd = openat (dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open %s", display_dir);
      return NULL;
    }
  if (!walk_dir (&w, fd, NULL, 0, error))
    return NULL;
  g_ptr_array_sort (entries, compare_entries);
  return g_steal_pointer (&entries);
}

typedef struct {
  VrProgress *files;  /* the caller's step's child: one step a file */
  GCancellable *cancellable;
  guchar *buffer;
  guint64 done;       /* of the file being hashed */
  guint64 size;       /* its size as listed */
} Hasher;

/* Hashing is a counted phase: each file a step of the caller's current
 * step, weighed by its size. */
static void
hasher_init (Hasher *h, VrProgress *progress, GCancellable *cancellable,
             GPtrArray *entries, guchar *buffer)
{
  h->files = vr_progress_get_child (progress);
  h->cancellable = cancellable;
  h->buffer = buffer;
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = entries->pdata[i];

      vr_progress_add_step_bytes (h->files, entry->path, entry->size);
    }
}

static void
hasher_next_file (Hasher *h, const Entry *entry)
{
  h->done = 0;
  h->size = entry->size;
  vr_progress_next (h->files);
}

static char *
hash_fd (Hasher *h, int fd, const char *display_name, GError **error)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  posix_fadvise (fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  for (;;)
    {
      ssize_t n;

      if (g_cancellable_set_error_if_cancelled (h->cancellable, error))
        return NULL;
      n = read (fd, h->buffer, HASH_BUFFER_SIZE);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          vr_error_set_errno (error, errno, "cannot read %s", display_name);
          return NULL;
        }
      if (n == 0)
        return g_strdup (g_checksum_get_string (sum));
      g_checksum_update (sum, h->buffer, n);
      h->done += n;
      vr_progress_set_bytes (h->files, h->done, MAX (h->size, h->done));
    }
}

/* A file the walk found, opened again one component at a time. */
static int
open_below (int dir_fd, const char *relpath, const char *display_name,
            GError **error)
{
  g_auto (GStrv) parts = g_strsplit (relpath, "/", -1);
  int at = dir_fd;

  for (guint i = 0; parts[i]; i++)
    {
      int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC
                  | (parts[i + 1] ? O_DIRECTORY : 0);
      int fd = openat (at, parts[i], flags);

      if (at != dir_fd)
        close (at);
      if (fd < 0)
        {
          vr_error_set_errno (error, errno, "cannot open %s", display_name);
          return -1;
        }
      at = fd;
    }
  return at;
}

static char *
manifest_to_xml (GPtrArray *entries)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc ((const xmlChar *) "1.0");
  xmlNode *top = xmlNewNode (NULL, (const xmlChar *) "manifest");

  xmlDocSetRootElement (doc, top);
  xmlNewProp (top, (const xmlChar *) "version", (const xmlChar *) "1");
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = entries->pdata[i];
      xmlNode *file = xmlNewChild (top, NULL, (const xmlChar *) "file", NULL);
      g_autofree char *size = g_strdup_printf ("%" G_GUINT64_FORMAT,
                                               entry->size);

      xmlNewProp (file, (const xmlChar *) "path",
                  (const xmlChar *) entry->path);
      xmlNewProp (file, (const xmlChar *) "size", (const xmlChar *) size);
      xmlNewProp (file, (const xmlChar *) "sha256",
                  (const xmlChar *) entry->sha256);
    }
  return vr_xml_to_string (doc);
}

char *
vr_manifest_build (int dir_fd, const char *display_dir, VrProgress *progress,
                   GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) entries = list_files (dir_fd, display_dir, NULL,
                                              error);
  g_autofree guchar *buffer = NULL;
  Hasher h = { 0 };

  if (entries == NULL)
    return NULL;
  buffer = g_malloc (HASH_BUFFER_SIZE);
  hasher_init (&h, progress, cancellable, entries, buffer);
  for (guint i = 0; i < entries->len; i++)
    {
      Entry *entry = entries->pdata[i];
      g_autofree char *display_name = g_build_filename (display_dir,
                                                        entry->path, NULL);
      int fd = open_below (dir_fd, entry->path, display_name, error);

      hasher_next_file (&h, entry);
      if (fd < 0)
        return NULL;
      entry->sha256 = hash_fd (&h, fd, display_name, error);
      close (fd);
      if (entry->sha256 == NULL)
        return NULL;
    }
  return manifest_to_xml (entries);
}

static char *
get_prop (xmlNode *node, const char *name)
{
  xmlChar *value = xmlGetProp (node, (const xmlChar *) name);
  char *copy = g_strdup ((const char *) value);

  xmlFree (value);
  return copy;
}

static gboolean
is_sha256 (const char *text)
{
  if (text == NULL || strlen (text) != SHA256_HEX_LEN)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

static Entry *
parse_entry (xmlNode *node, const char *display_name, GError **error)
{
  g_autofree char *path = get_prop (node, "path");
  g_autofree char *size = get_prop (node, "size");
  g_autofree char *sha256 = get_prop (node, "sha256");
  Entry *entry;
  guint64 value = 0;

  if (path == NULL || *path == '\0' || !is_sha256 (sha256) || size == NULL
      || !g_ascii_string_to_unsigned (size, 10, 0, G_MAXUINT64, &value, NULL))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s (line %ld): <file> needs a path, a size in bytes and "
                   "a SHA-256 of 64 hex digits", display_name,
                   xmlGetLineNo (node));
      return NULL;
    }
  entry = g_new0 (Entry, 1);
  entry->path = g_steal_pointer (&path);
  entry->size = value;
  entry->sha256 = g_ascii_strdown (sha256, -1);
  return entry;
}

static gboolean
add_entry (GPtrArray *entries, GHashTable *seen, Entry *entry,
           const char *display_name, GError **error)
{
  g_autofree char *problem = NULL;

  if (g_str_equal (entry->path, VR_IMPORT_MANIFEST))
    problem = g_strdup ("lists itself");
  else if (g_hash_table_contains (seen, entry->path))
    problem = g_strdup_printf ("lists %s twice", entry->path);
  if (problem != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER, "%s: %s",
                   display_name, problem);
      entry_free (entry);
      return FALSE;
    }
  g_hash_table_add (seen, entry->path);
  g_ptr_array_add (entries, entry);
  return TRUE;
}

static GPtrArray *
parse_entries (xmlDoc *doc, const char *display_name, GError **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func (entry_free);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) files = xmlXPathEvalExpression (
      (const xmlChar *) "/manifest/file", ctxt);
  int count = files && files->nodesetval ? files->nodesetval->nodeNr : 0;

  for (int i = 0; i < count; i++)
    {
      Entry *entry = parse_entry (files->nodesetval->nodeTab[i], display_name,
                                  error);

      if (entry == NULL
          || !add_entry (entries, seen, entry, display_name, error))
        return NULL;
    }
  return g_steal_pointer (&entries);
}

static GPtrArray *
read_manifest (VrImportDir *dir, GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir,
                                                          VR_IMPORT_MANIFEST);
  g_autoptr (xmlDoc) doc = NULL;
  g_autofree char *version = NULL;
  int fd = vr_import_dir_open_file (dir, VR_IMPORT_MANIFEST, error);

  if (fd < 0)
    return NULL;
  doc = vr_xml_parse_fd (fd, display_name, VR_XML_MAX_SIZE, "manifest",
                         error);
  close (fd);
  if (doc == NULL)
    return NULL;
  version = vr_xml_xpath_string (doc, "string(/manifest/@version)");
  if (g_strcmp0 (version, "1") != 0)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: manifest version '%s' is not one this program reads "
                   "(1)", display_name, version ? version : "");
      return NULL;
    }
  return parse_entries (doc, display_name, error);
}

/* Cheap checks first: every listed file opens inside dir and has its
 * size. */
static gboolean
check_sizes (VrImportDir *dir, GPtrArray *listed, GError **error)
{
  for (guint i = 0; i < listed->len; i++)
    {
      Entry *entry = listed->pdata[i];
      g_autofree char *display_name = vr_import_dir_describe (dir,
                                                              entry->path);
      int fd = vr_import_dir_open_file (dir, entry->path, error);
      struct stat st;

      if (fd < 0)
        return FALSE;
      if (fstat (fd, &st) < 0)
        {
          vr_error_set_errno (error, errno, "cannot stat %s", display_name);
          close (fd);
          return FALSE;
        }
      close (fd);
      if ((guint64) st.st_size != entry->size)
        {
          g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                       "%s: %" G_GUINT64_FORMAT " bytes, but the manifest "
                       "says %" G_GUINT64_FORMAT, display_name,
                       (guint64) st.st_size, entry->size);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_no_extra (VrImportDir *dir, GPtrArray *listed, GError **error)
{
  g_autoptr (GPtrArray) present = list_files (dir->fd, dir->path,
                                              dir->caller, error);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);

  if (present == NULL)
    return FALSE;
  for (guint i = 0; i < listed->len; i++)
    g_hash_table_add (names, ((Entry *) listed->pdata[i])->path);
  for (guint i = 0; i < present->len; i++)
    {
      Entry *entry = present->pdata[i];
      g_autofree char *display_name = NULL;

      if (g_hash_table_contains (names, entry->path))
        continue;
      display_name = vr_import_dir_describe (dir, entry->path);
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s: extra file, not listed in %s", display_name,
                   VR_IMPORT_MANIFEST);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_hash (VrImportDir *dir, Hasher *h, Entry *entry, GError **error)
{
  g_autofree char *display_name = vr_import_dir_describe (dir, entry->path);
  g_autofree char *sha256 = NULL;
  int fd = vr_import_dir_open_file (dir, entry->path, error);

  if (fd < 0)
    return FALSE;
  sha256 = hash_fd (h, fd, display_name, error);
  close (fd);
  if (sha256 == NULL)
    return FALSE;
  if (g_str_equal (sha256, entry->sha256))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: SHA-256 %s, but the manifest says %s (the file changed "
               "or was damaged since the export)", display_name, sha256,
               entry->sha256);
  return FALSE;
}

gboolean
vr_manifest_verify (VrImportDir *dir, VrProgress *progress,
                    GCancellable *cancellable, GError **error)
{
  g_autoptr (GPtrArray) listed = read_manifest (dir, error);
  g_autofree guchar *buffer = NULL;
  Hasher h = { 0 };

  /* The kill-anywhere trials stop an import here, before it hashes. */
  vr_test_hook_stall ("verify", cancellable);
  if (listed == NULL || !check_sizes (dir, listed, error)
      || !check_no_extra (dir, listed, error))
    return FALSE;
  buffer = g_malloc (HASH_BUFFER_SIZE);
  hasher_init (&h, progress, cancellable, listed, buffer);
  for (guint i = 0; i < listed->len; i++)
    {
      hasher_next_file (&h, listed->pdata[i]);
      if (!check_hash (dir, &h, listed->pdata[i], error))
        return FALSE;
    }
  return TRUE;
}

char *
vr_manifest_sha256_of (VrImportDir *dir, const char *relpath, guint64 *size,
                       GError **error)
{
  g_autoptr (GPtrArray) listed = read_manifest (dir, error);
  g_autofree char *display_name = NULL;

  if (listed == NULL)
    return NULL;
  for (guint i = 0; i < listed->len; i++)
    {
      Entry *entry = listed->pdata[i];

      if (g_str_equal (entry->path, relpath))
        {
          *size = entry->size;
          return g_strdup (entry->sha256);
        }
    }
  display_name = vr_import_dir_describe (dir, relpath);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: not listed in %s/%s", display_name, dir->path,
               VR_IMPORT_MANIFEST);
  return NULL;
}
