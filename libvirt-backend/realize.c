/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "realize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller-access.h"
#include "domain-xml.h"
#include "errors.h"
#include "findings.h"
#include "caller-access.h"
#include "import-dir.h"
#include "libvirt-util.h"
#include "pool.h"
#include "realize-journal.h"
#include "realize-private.h"
#include "realize-remote.h"
#include "realize-undo.h"
#include "realize-used.h"
#include "fs-util.h"
#include "handoff.h"
#include "host-access.h"
#include "safe-xml.h"
#include "snapshots.h"
#include "test-hooks.h"
#include "validate.h"


static void
realize_clear (Realize *r)
{
  vr_realize_journal_clear (&r->journal);
  g_clear_pointer (&r->disks, g_ptr_array_unref);
  g_clear_pointer (&r->doc, xmlFreeDoc);
  vr_import_dir_free (r->import);
  if (r->pool_fd >= 0)
    close (r->pool_fd);
  if (r->save_fd >= 0)
    close (r->save_fd);
  g_free (r->pool_name);
  g_free (r->pool_path);
  g_free (r->xml);
  g_free (r->image_xml);
  g_free (r->remote_dir);
  if (r->remote_pool != NULL)
    virStoragePoolFree (r->remote_pool);
  if (r->dom != NULL)
    virDomainFree (r->dom);
}

const char *
vr_realize_name (Realize *r)
{
  return vr_planned_system_get_name (r->system);
}

/* The pool the realize targets, where host paths are the realize's own;
 * NULL for the connection's default (libvirt's image directory, which
 * validation allows anyway) or a pool that cannot be resolved (begin
 * says why). */
static char *
realize_pool_dir (Realize *r)
{
  if (r->options->pool_dir != NULL)
    return g_strdup (r->options->pool_dir);
  if (r->options->pool == NULL)
    return NULL;
  return vr_pool_resolve_dir (r->conn, r->options->pool, NULL, NULL);
}

/* Step: validate. Any error finding stops the realize before it made
 * anything. */
static gboolean
check_fits (Realize *r, VrHostCaps *caps, GError **error)
{
  g_autofree char *pool_dir = realize_pool_dir (r);
  VrValidateOptions options = {
    .host_access_allowed = r->options->host_access_allowed,
    .caller_known = r->options->caller_known,
    .caller_uid = r->options->caller_uid,
    .pool_dir = pool_dir,
    .pool = r->options->pool,
    .bridges = r->options->bridges,
    /* The directory open_import opened and checked (dev/ino), which the
     * realize reads: never one found at its path again. */
    .import_dir = r->import,
  };
  g_autoptr (GPtrArray) findings = vr_validate_planned_with (
      caps, r->store, r->system, &options, error);
  g_autoptr (GString) errors = g_string_new (NULL);
  guint count = 0;

  if (findings == NULL)
    return FALSE;
  if (r->options->copy_disks)
    vr_findings_remove_id (findings, VR_FINDING_DISK_IN_IMPORT);
  /* Checked again by open_pool and (for a link hand-off) open_save_dir,
   * on the directories as opened, each with its own error (32773,
   * 32774). A managed save by libvirt would write over that file: the
   * finding stops it. */
  vr_findings_remove_id (findings, VR_FINDING_POOL_OVERLAP);
  if (vr_handoff_resolve (r->conn, r->options->handoff) == VR_HANDOFF_LINK)
    vr_findings_remove_id (findings, VR_FINDING_SAVE_DIR_TAKEN);
  for (guint i = 0; i < findings->len; i++)
    {
      VrFinding *finding = findings->pdata[i];

      if (finding->severity != VR_SEVERITY_ERROR)
        continue;
      if (count++ < 3)
        g_string_append_printf (errors, "%s%s %s", count > 1 ? "; " : "",
                                finding->id, finding->message);
    }
  if (count == 0)
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
               "planned system '%s' does not fit this host: %s%s (its "
               "validation lists every finding, with its fix)",
               vr_realize_name (r), errors->str, count > 3 ? "; …" : "");
  return FALSE;
}

static gboolean recover (VrStore *store, virConnectPtr conn,
                         VrPlannedSystem *system, gboolean *used,
                         GError **error);

/* A realize that died, or whose rollback could not finish, is ended
 * first: its journal says what it made. */
static gboolean
check_state (Realize *r, GError **error)
{
  VrPlannedState state;
  gboolean used = FALSE;

  if (!recover (r->store, r->conn, r->system, &used, error))
    return FALSE;
  state = vr_planned_system_get_state (r->system);
  /* Ended, not rolled back: this realize does not go on over it. */
  if (used)
    {
      g_set_error (error, VR_ERROR,
                   state == VR_PLANNED_STATE_REALIZED
                       ? VR_ERROR_INVALID_STATE : VR_ERROR_IN_USE,
                   "planned system '%s': an interrupted realize was found "
                   "and ended: %s", vr_realize_name (r),
                   vr_planned_system_get_last_job_message (r->system));
      return FALSE;
    }
  return vr_planned_system_check_realizable (r->system, error);
}

/* Re-reads the import directory: it must still hold the VM we planned.
 * A directory the caller handed over is read again from its descriptor
 * (read afresh: its files may have changed since the agent's check);
 * only in-process and below the agent's trusted folders by path. */
static gboolean
open_import (Realize *r, GError **error)
{
  if (r->options->import_dir != NULL)
    {
      g_autoptr (VrCaller) caller = r->options->caller_known
                                        ? vr_caller_new (r->options->caller_uid)
                                        : NULL;

      /* Its files may have changed since the agent's check: the caller
       * must still be able to read each one the realize reads. */
      if (caller != NULL
          && !vr_caller_check_import_fd (r->options->import_dir->fd, NULL,
                                         caller, error))
        return FALSE;
      r->import = vr_import_dir_open_fd (r->options->import_dir->fd, error);
    }
  else
    r->import = vr_import_dir_open (
        vr_planned_system_get_import_dir (r->system), error);
  if (r->import == NULL)
    return FALSE;
  /* Every file read from here on (disks, NVRAM, snapshots, the save
   * image's copy) is opened only as the agent's caller could open it. */
  if (r->options->caller_known)
    {
      g_autoptr (VrCaller) caller = vr_caller_new (r->options->caller_uid);

      vr_import_dir_set_caller (r->import, caller);
    }
  /* The agent was handed the directory as a descriptor its caller could
   * read: it reads that directory again, never one put at its path. */
  if (!vr_planned_system_is_import_dir (r->system, r->import))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
                   "%s is not the directory that was imported (it was "
                   "replaced or moved); destroy and import the planned "
                   "system again", r->import->path);
      return FALSE;
    }
  if (r->import->save != NULL
      && !vr_realize_verify_copy (r, r->import->save_file,
                                  r->import->save->file_size, NULL, error))
    return FALSE;
  if (g_str_equal (r->import->uuid,
                   vr_planned_system_get_source_uuid (r->system))
      && (vr_planned_system_get_saved_state_discarded (r->system)
          || g_strcmp0 (r->import->save_file,
                        vr_planned_system_get_save_file (r->system)) == 0))
    return TRUE;
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_STATE,
               "%s changed since it was imported (UUID %s, save image %s); "
               "destroy and import the planned system again",
               r->import->path, r->import->uuid,
               r->import->save_file ? r->import->save_file : "none");
  return FALSE;
}

static gboolean
overlap_error (Realize *r, const char *dir, const char *how, GError **error)
{
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "pool directory %s %s the import directory %s: the copies "
               "would be made among the files they are copied from, which "
               "must stay as they are; choose a pool directory outside it "
               "(the pool-dir or pool option)", dir, how, r->import->path);
  return FALSE;
}

/* Whether the directory dev/ino is the connection's managed-save
 * directory (a refusal only: nothing is used by this path). */
static gboolean
is_save_dir (Realize *r, guint64 dev, guint64 ino)
{
  g_autofree char *save = vr_handoff_save_dir (r->conn);
  struct stat st;

  return save != NULL && stat (save, &st) == 0
         && (guint64) st.st_dev == dev && (guint64) st.st_ino == ino;
}

/* The pool is opened once; every later step works relative to it. It may
 * not be the import directory, lie inside it or contain it: checked by
 * st_dev/st_ino up the ".." chain, not by comparing paths. */
static gboolean
open_pool (Realize *r, GError **error)
{
  g_autofree char *dir = vr_pool_resolve_dir (r->conn, r->options->pool,
                                              r->options->pool_dir, error);
  guint64 dev = 0;
  guint64 ino = 0;
  gboolean inside = FALSE;
  gboolean contains = FALSE;

  if (dir == NULL)
    return FALSE;
  r->pool_fd = vr_open_dir (dir, &dev, &ino);
  if (r->pool_fd < 0
      || !vr_dir_is_within (r->pool_fd, r->import->dev, r->import->ino,
                            &inside)
      || (!inside && !vr_dir_is_within (r->import->fd, dev, ino, &contains)))
    {
      vr_error_set_errno (error, errno, "cannot open pool directory %s", dir);
      return FALSE;
    }
  if (r->options->pool_ino != 0
      && (dev != r->options->pool_dev || ino != r->options->pool_ino))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_ACCESS_DENIED,
                   "pool directory %s is not the directory that was checked "
                   "(it was replaced, or a link was put in its path)", dir);
      return FALSE;
    }
  if (is_save_dir (r, dev, ino))
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "pool directory %s is libvirt's save directory: the "
                   "saved state's copy there would take the name of the "
                   "managed save it becomes; choose another pool directory "
                   "(the pool-dir or pool option)", dir);
      return FALSE;
    }
  if (inside)
    return overlap_error (r, dir, dev == r->import->dev
                                      && ino == r->import->ino
                                  ? "is" : "is inside", error);
  if (contains)
    return overlap_error (r, dir, "contains", error);
  r->journal.pool = (VrJournalDirId) { g_steal_pointer (&dir), dev, ino };
  return TRUE;
}

static char *
managed_save_name (Realize *r)
{
  return g_strdup_printf ("%s.save", vr_realize_name (r));
}

/* The link hand-off's directory, opened once like the pool's; a managed
 * save already there (another domain's) is refused before anything is
 * made. */
static gboolean
open_save_dir (Realize *r, GError **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *name = managed_save_name (r);
  guint64 dev = 0;
  guint64 ino = 0;
  struct stat st;

  if (r->handoff != VR_HANDOFF_LINK
      || vr_planned_system_get_save_file (r->system) == NULL)
    return TRUE;
  dir = vr_handoff_save_dir (r->conn);
  if (dir == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_NOT_SUPPORTED,
                   "this connection's save directory is not reachable from "
                   "here; use the managedsave hand-off");
      return FALSE;
    }
  r->save_fd = vr_open_dir (dir, &dev, &ino);
  if (r->save_fd < 0)
    {
      vr_error_set_errno (error, errno, "cannot open libvirt's save "
                          "directory %s", dir);
      return FALSE;
    }
  if (fstatat (r->save_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "%s/%s exists already: a managed save of another domain "
                   "named '%s' is in the way", dir, name, vr_realize_name (r));
      return FALSE;
    }
  r->journal.save = (VrJournalDirId) { g_steal_pointer (&dir), dev, ino };
  return TRUE;
}

/* From here on the job can make things: its journal exists before the
 * record says "realizing", so a crash in between is found too. */
static gboolean
begin (Realize *r, GError **error)
{
  r->journal.job = g_uuid_string_random ();
  vr_planned_system_set_state (r->system, VR_PLANNED_STATE_REALIZING);
  return vr_realize_journal_write (r->store, r->system, &r->journal, error)
         && vr_store_save_record (r->store, r->system, error);
}

void
vr_realize_copy_progress (guint64 done, guint64 total, gpointer user_data)
{
  Realize *r = user_data;

  vr_progress_set_bytes (r->files, done, total);
  /* Even the last report comes before the rename: still mid-copy. */
  if (done > 0)
    vr_test_hook_stall ("copy", r->cancellable);
  vr_test_hook_slow_copy ();
}

/* Each name the copy's file gets is in the journal, with the file's
 * st_dev/st_ino, before the file can be found under it. */
gboolean
vr_realize_track_in_journal (const char *name, guint64 dev, guint64 ino,
                             gpointer user_data, GError **error)
{
  VrRealizeTracked *t = user_data;

  t->file->dev = dev;
  t->file->ino = ino;
  g_ptr_array_add (t->file->names, g_strdup (name));
  if (!g_str_has_prefix (name, VR_COPY_TEMP_PREFIX))
    {
      g_free (t->target);
      t->target = g_strdup (name);
    }
  return vr_realize_journal_write (t->r->store, t->r->system, &t->r->journal,
                                   error)
         && vr_test_hook_fail ("journaled", error);
}

/* The size the agent's limits counted relpath as (counted_sizes), for
 * the copy to hold it to; the saved state is the import's, checked by
 * its checksum or mtime. */
static gboolean
counted_size (Realize *r, const char *relpath, VrCopyExtra *extra,
              GError **error)
{
  const guint64 *size;

  if (r->options->counted_sizes == NULL
      || g_strcmp0 (relpath, r->import->save_file) == 0)
    return TRUE;
  size = g_hash_table_lookup (r->options->counted_sizes, relpath);
  if (size == NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
                   "%s/%s was not counted against the caller's limits when "
                   "the realize was allowed: the disks changed since",
                   r->import->path, relpath);
      return FALSE;
    }
  extra->check_size = TRUE;
  extra->expected_size = *size;
  return TRUE;
}

static gboolean
copy_to_local_pool (Realize *r, int src, const char *relpath,
                    const char *name, char **chosen, VrJournalFile **entry,
                    GError **error)
{
  g_autoptr (VrSha256) checksum = vr_realize_checksum_for (r);
  VrRealizeTracked t = { r, vr_realize_journal_add_file (&r->journal,
                                                VR_JOURNAL_DIR_POOL, 0, 0),
                NULL };
  VrCopyExtra extra = { .track = vr_realize_track_in_journal,
                        .track_data = &t, .sha256 = checksum };
  VrCopyResult result = { 0 };
  struct stat st;

  if (fstat (src, &st) < 0)
    {
      vr_error_set_errno (error, errno, "cannot read %s/%s", r->import->path,
                          relpath);
      return FALSE;
    }
  if (!counted_size (r, relpath, &extra, error)
      || !vr_realize_verify_source_size (r, relpath, st.st_size, error))
    {
      g_free (t.target);
      return FALSE;
    }
  /* QEMU runs as another user; libvirt hands it the file at start. */
  if (!vr_copy_fd_to_extra (src, r->pool_fd, name, 0600,
                            r->options->copy_flags | VR_COPY_FREE_NAME,
                            &extra, r->cancellable, vr_realize_copy_progress,
                            r, &result, error))
    {
      g_free (t.target);
      g_prefix_error (error, "copying %s/%s into %s: ", r->import->path,
                      relpath, r->journal.pool.path);
      return FALSE;
    }
  *chosen = t.target;
  if (entry != NULL)
    *entry = t.file;
  /* Without a manifest the save image's modification time is what proves it
   * unchanged: taken again now, so a write during the copy counts. */
  if (checksum == NULL && r->import->save != NULL
      && g_strcmp0 (relpath, r->import->save_file) == 0
      && fstat (src, &st) == 0)
    r->import->save->file_mtime_ns
        = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
          + st.st_mtim.tv_nsec;
  return vr_realize_verify_copy (r, relpath, result.size, checksum, error);
}

gboolean
vr_realize_copy_to_pool (Realize *r, int src, const char *relpath,
                         const char *name, char **chosen,
                         VrJournalFile **entry, GError **error)
{
  /* Files are copied in the order copy_files planned them. */
  vr_progress_next (r->files);
  if (!r->remote)
    return copy_to_local_pool (r, src, relpath, name, chosen, entry, error);
  if (entry != NULL)
    *entry = NULL;
  return vr_realize_remote_upload (r, src, relpath, name, chosen, error);
}

static gboolean
copy_state (Realize *r, GError **error)
{
  g_autofree char *name = managed_save_name (r);
  int src = vr_import_dir_open_file (r->import, r->import->save_file, error);
  gboolean ok;

  if (src < 0)
    return FALSE;
  ok = vr_realize_copy_to_pool (r, src, r->import->save_file, name,
                                &r->pool_name, &r->pool_file, error);
  close (src);
  if (r->pool_file != NULL)
    r->pool_file->saved_state = TRUE;
  if (r->pool_name != NULL)
    r->pool_path = vr_realize_pool_path (r, r->pool_name);
  return ok;
}

/* The last guard before libvirt sees an XML (sixth review, F6): every
 * host path in it is absolute. Realize made the carried disks and
 * firmware absolute (its own copies), validation judged every other
 * path with the host-access policy; a relative one left over is one
 * realize did not carry, and libvirt would resolve (and label, chown)
 * it below its working directory '/'. */
static gboolean
check_final (xmlDoc *doc, const char *what, GError **error)
{
  g_autofree char *value = NULL;
  xmlNode *node = vr_host_access_find_relative (doc, &value);
  g_autofree char *where = NULL;

  if (node == NULL)
    return TRUE;
  where = (char *) xmlGetNodePath (node);
  g_set_error (error, VR_ERROR, VR_ERROR_INVALID_PARAMETER,
               "%s: %s is the relative host path '%s', which realize did "
               "not carry: libvirt would take it relative to its working "
               "directory '/'; nothing was defined", what, where, value);
  return FALSE;
}

/* One XML is resumed: the validated one. The planned XML always goes
 * into the copy's header (libvirt checks that it is ABI-compatible with
 * the saved guest), so what libvirt resumes is what was validated and
 * what GetDomainXML shows, never the image's own XML (which an edit
 * would otherwise leave in force, e.g. a VNC listener on 0.0.0.0). Only
 * its <os> is the image's: the firmware libvirt chose when the guest
 * started, which a restore does not choose again (vr_realize_image_xml;
 * validate makes sure the planned firmware is the same). */
static gboolean
update_image_xml (Realize *r, GError **error)
{
  const char *image_xml = r->import->save->xml;
  g_autoptr (xmlDoc) image = NULL;

  if (!vr_realize_verify_image (r, error))
    return FALSE;
  image = vr_xml_parse_buffer (image_xml, strlen (image_xml), r->pool_path,
                               "domain", error);
  if (image == NULL)
    return FALSE;
  r->image_xml = vr_realize_image_xml (r, image);
  g_clear_pointer (&image, xmlFreeDoc);
  image = vr_xml_parse_buffer (r->image_xml, strlen (r->image_xml),
                               r->pool_path, "domain", error);
  if (image == NULL || !check_final (image, r->pool_path, error))
    return FALSE;
  if (virDomainSaveImageDefineXML (r->conn, r->pool_path, r->image_xml, 0)
      == 0)
    return TRUE;
  vr_libvirt_set_error (error, "cannot write the planned XML into %s",
                        r->pool_path);
  return FALSE;
}

/* The domain carries who made it: <vr:realize planned= job= time=/> in its
 * <metadata>, the only proof undo and recovery accept that it is theirs
 * (and what "virsh dumpxml" shows); through the agent also owner= (the
 * caller's uid) and bytes=, what the agent's per-user limits count it
 * as. A tag an exported domain brought along is replaced, so a caller
 * cannot name another owner. */
static void
tag_domain (Realize *r)
{
  xmlNode *top = xmlDocGetRootElement (r->doc);
  xmlNode *metadata = NULL;
  xmlNode *tag;
  xmlNs *ns;
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *time = g_date_time_format_iso8601 (now);

  for (xmlNode *n = top->children; n != NULL && metadata == NULL; n = n->next)
    if (n->type == XML_ELEMENT_NODE && n->ns == NULL
        && xmlStrEqual (n->name, (const xmlChar *) "metadata"))
      metadata = n;
  if (metadata == NULL)
    metadata = xmlNewChild (top, NULL, (const xmlChar *) "metadata", NULL);
  for (xmlNode *n = metadata->children, *next; n != NULL; n = next)
    {
      next = n->next;
      if (n->ns != NULL
          && xmlStrEqual (n->ns->href,
                          (const xmlChar *) VR_REALIZE_METADATA_NS))
        {
          xmlUnlinkNode (n);
          xmlFreeNode (n);
        }
    }
  tag = xmlNewChild (metadata, NULL,
                     (const xmlChar *) VR_REALIZE_METADATA_ELEMENT, NULL);
  ns = xmlNewNs (tag, (const xmlChar *) VR_REALIZE_METADATA_NS,
                 (const xmlChar *) VR_REALIZE_METADATA_PREFIX);
  xmlSetNs (tag, ns);
  xmlSetProp (tag, (const xmlChar *) "planned",
              (const xmlChar *) vr_planned_system_get_uuid (r->system));
  xmlSetProp (tag, (const xmlChar *) "job", (const xmlChar *) r->journal.job);
  xmlSetProp (tag, (const xmlChar *) "time", (const xmlChar *) time);
  if (r->options->caller_known)
    {
      g_autofree char *owner = g_strdup_printf ("%u",
                                                r->options->caller_uid);
      g_autofree char *bytes = g_strdup_printf (
          "%" G_GUINT64_FORMAT, r->options->charged_bytes);

      xmlSetProp (tag, (const xmlChar *) "owner", (const xmlChar *) owner);
      xmlSetProp (tag, (const xmlChar *) "bytes", (const xmlChar *) bytes);
    }
}

/* With the disks copied, their snapshots' metadata follows (it goes with
 * the domain when undo undefines it). */
static gboolean
redefine_snapshots (Realize *r, GError **error)
{
  g_autoptr (GHashTable) targets = NULL;

  if (!r->options->copy_disks || r->import->snapshots == NULL)
    return TRUE;
  targets = vr_realize_disk_targets (r);
  return vr_snapshots_redefine (r->dom, r->import, targets, error);
}

/* Every file written so far is done: its size and modification time go
 * into the journal (with the domain's UUID, before define), so that undo
 * can tell a file the guest has written since from the job's own. */
static void
seal_files (Realize *r)
{
  for (guint i = 0; r->journal.files != NULL && i < r->journal.files->len;
       i++)
    {
      VrJournalFile *file = r->journal.files->pdata[i];
      int fd = file->dir == VR_JOURNAL_DIR_POOL   ? r->pool_fd
               : file->dir == VR_JOURNAL_DIR_SAVE ? r->save_fd
                                                  : -1;

      if (!file->sealed && fd >= 0)
        vr_realize_seal_file (fd, file);
    }
}

/* libvirt would quietly update a defined domain of the same name and
 * UUID, so an existing one is refused here; a name clash with another UUID
 * libvirt refuses itself. The journal names the domain before define (a
 * crash right after it is undone by recovery, as the tag proves it is
 * this job's) and confirms it after. */
static gboolean
define_domain (Realize *r, GError **error)
{
  g_autoptr (virDomain) existing = virDomainLookupByUUIDString (
      r->conn, vr_planned_system_get_uuid (r->system));

  if (existing != NULL)
    {
      g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
                   "a domain with UUID %s is defined already ('%s')",
                   vr_planned_system_get_uuid (r->system),
                   virDomainGetName (existing));
      return FALSE;
    }
  seal_files (r);
  r->journal.domain_uuid = g_strdup (vr_planned_system_get_uuid (r->system));
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return FALSE;
  r->dom = virDomainDefineXMLFlags (r->conn, r->xml,
                                    VIR_DOMAIN_DEFINE_VALIDATE);
  if (r->dom == NULL)
    {
      vr_libvirt_set_error (error, "libvirt refused to define '%s'",
                            vr_realize_name (r));
      /* Not a refusal: libvirt went away (a restart); a retry works. */
      if (virConnectIsAlive (r->conn) != 1 && error != NULL)
        (*error)->code = VR_ERROR_NOT_AVAILABLE;
      return FALSE;
    }
  vr_test_hook_stall ("defined", r->cancellable);
  if (!vr_test_hook_fail ("defined", error))
    return FALSE;
  r->journal.defined = TRUE;
  return vr_realize_journal_write (r->store, r->system, &r->journal, error)
         && redefine_snapshots (r, error);
}

/* The managed save is a hard link to the pool file: the journal names it
 * with that file's inode before linkat() makes it (linkat never
 * replaces). Across filesystems it is a copy, tracked like the others. */
static gboolean
link_state (Realize *r, GError **error)
{
  g_autofree char *name = managed_save_name (r);
  VrJournalFile *link = vr_realize_journal_add_file (
      &r->journal, VR_JOURNAL_DIR_SAVE, r->pool_file->dev,
      r->pool_file->ino);
  VrRealizeTracked t = { r, vr_realize_journal_add_file (&r->journal,
                                                VR_JOURNAL_DIR_SAVE, 0, 0),
                NULL };
  VrCopyExtra extra = { .track = vr_realize_track_in_journal,
                        .track_data = &t };
  gboolean ok;

  g_ptr_array_add (link->names, g_strdup (name));
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return FALSE;
  ok = vr_handoff_link (r->pool_fd, r->pool_name, r->save_fd, name, &extra,
                        r->cancellable, error);
  g_free (t.target);
  return ok;
}

/* Right after the hand-off is made, the journal says so: a hand-off gone
 * later was consumed by a start (the domain has run), not never made. */
static gboolean
confirm_handoff (Realize *r, GError **error)
{
  vr_test_hook_stall ("handed", r->cancellable);
  r->journal.handed_off = TRUE;
  seal_files (r);
  return vr_realize_journal_write (r->store, r->system, &r->journal, error);
}

/* The managed-save hand-off runs the domain (restored paused): the
 * journal says so first, so that undo knows that pause is the job's. */
static gboolean
managed_save_state (Realize *r, GError **error)
{
  r->journal.restoring = TRUE;
  return vr_realize_journal_write (r->store, r->system, &r->journal, error)
         && vr_handoff_managed_save (
             r->conn, r->dom, r->pool_path,
             r->image_xml ? r->image_xml : r->xml,
             vr_planned_system_get_save_was_running (r->system), error);
}

static gboolean
hand_off (Realize *r, GError **error)
{
  gboolean ok;

  if (r->remote)
    return vr_realize_remote_hand_off (r, error);
  if (r->handoff == VR_HANDOFF_LINK)
    ok = link_state (r, error);
  else
    ok = managed_save_state (r, error);
  if (!ok || !confirm_handoff (r, error))
    return FALSE;
  if (vr_unlink_if_inode (r->pool_fd, r->pool_name, r->pool_file->dev,
                          r->pool_file->ino))
    fsync (r->pool_fd);
  return TRUE;
}

static gboolean
step (Realize *r, GError **error)
{
  vr_progress_next (r->progress);
  /* "copy" stalls in the middle of the copy, not before it. */
  if (g_strcmp0 (vr_progress_get_phase (r->progress), "copy") != 0)
    vr_test_hook_stall (vr_progress_get_phase (r->progress), r->cancellable);
  return !g_cancellable_set_error_if_cancelled (r->cancellable, error);
}

static gboolean
copy_files (Realize *r, GError **error)
{
  gboolean has_save = vr_planned_system_get_save_file (r->system) != NULL;

  /* One child step per file, weighed by its size, in the order they are
   * copied (the saved state, then the disks as planned): the bar counts
   * the bytes of all of them. */
  r->files = vr_progress_get_child (r->progress);
  if (has_save)
    vr_progress_add_step_bytes (r->files, r->import->save_file,
                                r->import->save->file_size);
  if (!vr_realize_plan_disks (r, error))
    return FALSE;
  if ((has_save && !copy_state (r, error))
      || !vr_realize_copy_disks (r, error)
      || !vr_realize_place_firmware (r, error))
    return FALSE;
  tag_domain (r);
  if (!check_final (r->doc, vr_realize_name (r), error))
    return FALSE;
  r->xml = vr_xml_to_string (r->doc);
  return TRUE;
}

static gboolean
transfer_state (Realize *r, GError **error)
{
  if (vr_planned_system_get_save_file (r->system) == NULL)
    return step (r, error) && copy_files (r, error) && step (r, error)
           && step (r, error) && define_domain (r, error)
           && confirm_handoff (r, error) && step (r, error);
  return step (r, error) && copy_files (r, error)
         && step (r, error) && update_image_xml (r, error)
         && step (r, error) && define_domain (r, error)
         && step (r, error) && hand_off (r, error);
}

static void
record (Realize *r, VrPlannedState state, int code, const char *message)
{
  g_autoptr (GError) local = NULL;

  vr_planned_system_set_state (r->system, state);
  vr_planned_system_set_last_job (r->system, code, message);
  vr_planned_system_set_rollback_pending (r->system, FALSE);
  if (!vr_store_save_record (r->store, r->system, &local))
    {
      /* The journal stays: recovery ends the job from it. */
      g_warning ("cannot record the outcome of realizing '%s': %s",
                 vr_realize_name (r), local->message);
      return;
    }
  vr_realize_journal_remove (r->store, r->system);
}

/* A rollback that cannot finish (libvirt gone) is not forgotten: the
 * journal stays and the record says so, until recovery ends it. Returns
 * what the record says. */
static char *
record_pending (VrStore *store, VrPlannedSystem *system, int code,
                const char *message, const GError *why)
{
  g_autofree char *text = g_strdup_printf (
      "%s; rollback pending (%s): the next realize, or the agent once "
      "libvirt is back, finishes it", message, why->message);
  g_autoptr (GError) local = NULL;

  vr_planned_system_set_state (system, VR_PLANNED_STATE_FAILED);
  vr_planned_system_set_last_job (system, code, text);
  vr_planned_system_set_rollback_pending (system, TRUE);
  if (!vr_store_save_record (store, system, &local))
    g_warning ("cannot record the outcome of realizing '%s': %s",
               vr_planned_system_get_name (system), local->message);
  return g_steal_pointer (&text);
}

/* A domain someone started while the job waited is not rolled back: the
 * job ends as vr_realize_end_used says, and the caller's error with it. */
static gboolean
end_if_used (Realize *r, GError *error)
{
  VrRealizeUse use = { 0 };
  g_autofree char *message = NULL;
  char *text;

  if (!vr_realize_check_use (r->conn, &r->journal, r->pool_fd, r->save_fd,
                             &use, NULL)
      || !use.used)
    {
      vr_realize_use_clear (&use);
      return FALSE;
    }
  vr_realize_end_used (&r->journal, &use, r->pool_fd, r->system);
  vr_realize_use_clear (&use);
  message = g_strdup (vr_planned_system_get_last_job_message (r->system));
  text = g_strdup_printf ("%s; %s", error->message, message);
  g_free (error->message);
  error->message = text;
  record (r, vr_planned_system_get_state (r->system),
          vr_planned_system_get_last_job_code (r->system), message);
  return TRUE;
}

/* The caller's error says too that the rollback is pending, and why. */
static void
roll_back (Realize *r, GError *error)
{
  gboolean cancelled = g_error_matches (error, G_IO_ERROR,
                                        G_IO_ERROR_CANCELLED);
  g_autoptr (GError) pending = NULL;

  vr_test_hook_stall ("rollback", NULL);
  if (end_if_used (r, error))
    return;
  if (!vr_realize_undo (r->conn, &r->journal, r->pool_fd, r->save_fd,
                        &pending))
    {
      char *text = record_pending (r->store, r->system,
                                   vr_error_get_code (error), error->message,
                                   pending);

      g_free (error->message);
      error->message = text;
      return;
    }
  record (r, cancelled ? VR_PLANNED_STATE_PLANNED : VR_PLANNED_STATE_FAILED,
          vr_error_get_code (error), error->message);
}

/* Which libvirt the domain lives on, for show: its name alone would not
 * say (remote hosts, embedded roots). */
static void
record_connection (Realize *r)
{
  char *uri = virConnectGetURI (r->conn);

  vr_planned_system_set_connection (r->system, uri);
  free (uri);
}

static gboolean
finish (Realize *r, GError **error)
{
  g_autofree char *message = NULL;

  r->journal.finished = TRUE;
  if (!vr_realize_journal_write (r->store, r->system, &r->journal, error))
    return FALSE;
  vr_planned_system_set_domain (r->system, vr_realize_name (r));
  record_connection (r);
  message = g_strdup_printf ("realized as domain '%s'%s", vr_realize_name (r),
                             vr_planned_system_get_save_file (r->system)
                                 ? (r->started
                                        ? "; it resumed from its saved "
                                          "state (restored)"
                                        : r->handoff == VR_HANDOFF_LINK
                                        ? "; its saved state is handed to "
                                          "libvirt (link)"
                                        : "; its saved state is handed to "
                                          "libvirt (managed save)")
                                 : "");
  record (r, VR_PLANNED_STATE_REALIZED, VR_ERROR_COMPLETED, message);
  /* A local realize wrote its files behind libvirt's back; a remote one
   * made every volume through libvirt, which knows them, and a refresh
   * would only rescan every volume of that pool on the far host. */
  if (!r->remote)
    vr_pool_refresh (r->conn, r->options->pool);
  return TRUE;
}

/* A phase only for what this realize does: no "start" without --start. */
static void
add_steps (VrProgress *progress, const VrRealizeOptions *options)
{
  vr_progress_add_step (progress, "validate", 2);
  vr_progress_add_step (progress, "copy", 85);
  vr_progress_add_step (progress, "update", 1);
  vr_progress_add_step (progress, "define", 2);
  vr_progress_add_step (progress, "handoff", 8);
  if (options->start)
    vr_progress_add_step (progress, "start", 2);
}

/* After the hand-off the saved state is libvirt's: a start that fails
 * (a damaged image, a host that changed) removes nothing, and the record
 * keeps saying so instead of a plain "realized". The realize stays done:
 * the domain is defined and holds the saved state. */
static void
record_start_failed (Realize *r, GError *error)
{
  const char *name = vr_realize_name (r);
  g_autofree char *recovery = g_strdup_printf (
      "nothing was removed: domain '%s' and its saved state stay (keep the "
      "source's save image until the guest runs); 'virsh start %s' tries "
      "again, 'virsh managedsave-remove %s' discards the saved state (the "
      "guest then boots, its memory lost)", name, name, name);
  g_autofree char *message = g_strdup_printf (
      "%s; but %s; %s", vr_planned_system_get_last_job_message (r->system),
      error->message, recovery);
  char *text = g_strdup_printf ("realized '%s', but %s; %s", name,
                                error->message, recovery);

  g_free (error->message);
  error->message = text;
  record (r, VR_PLANNED_STATE_REALIZED, vr_error_get_code (error), message);
}

static gboolean
start_domain (Realize *r, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (r->options->start)
    vr_progress_next (r->progress);
  vr_test_hook_stall ("start", r->cancellable);
  if (!r->options->start || r->started || virDomainCreate (r->dom) == 0)
    return TRUE;
  vr_libvirt_set_error (&local, "domain '%s' did not start",
                        vr_realize_name (r));
  record_start_failed (r, local);
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static gboolean
run_locked (Realize *r, VrHostCaps *caps, GError **error)
{
  g_autoptr (GError) local = NULL;

  if (!check_state (r, error))
    return FALSE;
  vr_progress_next (r->progress);
  vr_test_hook_stall ("validate", r->cancellable);
  if (g_cancellable_set_error_if_cancelled (r->cancellable, error)
      || !open_import (r, error))
    return FALSE;
  vr_test_hook_stall ("opened", r->cancellable);
  if (!check_fits (r, caps, error))
    return FALSE;
  r->doc = xmlCopyDoc (vr_planned_system_get_doc (r->system), 1);
  r->handoff = vr_handoff_resolve (r->conn, r->options->handoff);
  /* --pool-dir says libvirt shares this host's files (a daemon of this
   * host behind a socket): then the local target serves. */
  if (vr_connection_is_remote (r->conn) && r->options->pool_dir == NULL
          ? !vr_realize_remote_open (r, error)
          : !open_pool (r, error) || !open_save_dir (r, error))
    return FALSE;
  if (!begin (r, &local) || !transfer_state (r, &local)
      || !finish (r, &local))
    {
      roll_back (r, local);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!start_domain (r, error))
    return FALSE;
  vr_progress_finish (r->progress);
  return TRUE;
}

gboolean
vr_realize (VrStore *store, VrHostCaps *caps, virConnectPtr conn,
            VrPlannedSystem *system, const VrRealizeOptions *options,
            VrProgress *progress, GCancellable *cancellable, GError **error)
{
  g_autoptr (VrStoreLock) lock = vr_store_lock (store, system, error);
  Realize r = { .store = store, .conn = conn, .system = system,
                .options = options, .progress = progress,
                .cancellable = cancellable, .pool_fd = -1, .save_fd = -1 };
  gboolean ok;

  if (lock == NULL)
    return FALSE;
  add_steps (progress, options);
  ok = run_locked (&r, caps, error);
  realize_clear (&r);
  return ok;
}

/* The job's last record did not make it, but every step was done. */
static void
mark_realized (VrPlannedSystem *system)
{
  vr_planned_system_set_state (system, VR_PLANNED_STATE_REALIZED);
  vr_planned_system_set_domain (system, vr_planned_system_get_name (system));
  vr_planned_system_set_last_job (system, VR_ERROR_COMPLETED,
                                  "realized (the job's last record was "
                                  "interrupted)");
}

/* The rollback could not run (libvirt gone): the journal stays. */
static gboolean
rollback_pending (VrStore *store, VrPlannedSystem *system,
                  gboolean interrupted, const GError *pending, GError **error)
{
  /* A rollback pending already keeps the failure it recorded. */
  if (!vr_planned_system_get_rollback_pending (system))
    g_free (record_pending (store, system, VR_ERROR_FAILED,
                            interrupted ? "interrupted" : "failed", pending));
  g_set_error (error, VR_ERROR, VR_ERROR_IN_USE,
               "planned system '%s': the rollback of an earlier realize "
               "is pending (%s); try again once that is mended",
               vr_planned_system_get_name (system), pending->message);
  return FALSE;
}

/* *used: the job's domain had been used since, and the job was ended as
 * vr_realize_end_used says instead of being rolled back. */
static gboolean
recover (VrStore *store, virConnectPtr conn, VrPlannedSystem *system,
         gboolean *used, GError **error)
{
  g_autoptr (VrRealizeJournal) journal = NULL;
  g_autoptr (GError) pending = NULL;
  VrRealizeUse use = { 0 };
  gboolean interrupted = vr_planned_system_get_state (system)
                         == VR_PLANNED_STATE_REALIZING;

  *used = FALSE;
  if (!interrupted && !vr_realize_journal_exists (store, system))
    return TRUE;
  journal = vr_realize_journal_read (store, system, error);
  if (journal == NULL && vr_realize_journal_exists (store, system))
    return FALSE;
  if (journal != NULL && journal->finished)
    mark_realized (system);
  else if (journal != NULL
           && (!vr_realize_check_use (conn, journal, -1, -1, &use, &pending)
               || (!use.used
                   && !vr_realize_undo (conn, journal, -1, -1, &pending))))
    return rollback_pending (store, system, interrupted, pending, error);
  else if (use.used)
    {
      vr_realize_end_used (journal, &use, -1, system);
      vr_realize_use_clear (&use);
      *used = TRUE;
    }
  else if (interrupted)
    {
      vr_planned_system_set_state (system, VR_PLANNED_STATE_PLANNED);
      vr_planned_system_set_last_job (system, VR_ERROR_FAILED,
                                      "interrupted: the realize did not "
                                      "finish and was rolled back");
    }
  else if (vr_planned_system_get_rollback_pending (system))
    vr_planned_system_set_last_job (
        system, vr_planned_system_get_last_job_code (system),
        "failed; its rollback, pending while libvirt was unreachable, has "
        "finished since");
  vr_planned_system_set_rollback_pending (system, FALSE);
  if (!vr_store_save_record (store, system, error))
    return FALSE;
  vr_realize_journal_remove (store, system);
  return TRUE;
}

gboolean
vr_realize_recover (VrStore *store, virConnectPtr conn,
                    VrPlannedSystem *system, GError **error)
{
  gboolean used;

  return recover (store, conn, system, &used, error);
}
