/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "import-dir.h"
#include "realize-journal.h"
#include "realize.h"

G_BEGIN_DECLS

/* One realize in progress (realize.c runs the steps, realize-disks.c the
 * disk copies, realize-verify.c the checks of what was copied). */
typedef struct {
  VrStore *store;
  virConnectPtr conn;
  VrPlannedSystem *system;
  const VrRealizeOptions *options;
  VrProgress *progress;
  GCancellable *cancellable;
  VrRealizeJournal journal;
  VrHandoff handoff;
  VrImportDir *import;
  int pool_fd;       /* the pool directory, opened once: every file the
                        job makes there is made relative to it */
  int save_fd;       /* libvirt's save directory (link hand-off), or -1 */
  char *pool_name;   /* the save image's copy in the pool */
  VrJournalFile *pool_file; /* its journal entry */
  char *pool_path;   /* pool dir + pool_name, for libvirt */
  xmlDoc *doc;       /* the XML to define: the planned one, disks moved */
  char *xml;         /* doc as text, once the copies are made */
  char *image_xml;   /* what the save image's XML became, when changed */
  GPtrArray *disks;  /* of RealizeDisk (realize-disks.c) */
  VrProgress *files; /* the copy step's child: one step per file */
  virDomainPtr dom;
  /* A realize onto a remote libvirt (realize-remote.c): its pool, and the
   * pool's directory on that host (NULL when nothing is uploaded). */
  gboolean remote;
  virStoragePoolPtr remote_pool;
  char *remote_dir;
  gboolean started;  /* the hand-off started the domain already */
} Realize;

const char *vr_realize_name (Realize *r);

/* A copy's file as the journal knows it (VrCopyExtra.track_data for
 * vr_realize_track_in_journal): target gets the name it ended up with. */
typedef struct {
  Realize *r;
  VrJournalFile *file;
  char *target;
} VrRealizeTracked;

/* VrCopyTrackFunc: adds each name to the file's journal entry, with its
 * st_dev/st_ino, and writes the journal before the name can appear. */
gboolean vr_realize_track_in_journal (const char *name,
                                      guint64 dev,
                                      guint64 ino,
                                      gpointer user_data,
                                      GError **error);

/* The progress of a copy or upload (VrCopyProgressFunc, data r). */
void vr_realize_copy_progress (guint64 done, guint64 total,
                               gpointer user_data);

/* Remote target (realize-remote.c), for a connection through a transport
 * or to another host without --pool-dir (which says the daemon shares
 * this host's files): checks and opens the remote pool (--pool, else
 * "default") and journals the connection's URI. */
gboolean vr_realize_remote_open (Realize *r, GError **error);

/* Uploads src into a new volume name of the remote pool, journaled, and
 * checks what was read as vr_realize_copy_to_pool does. */
gboolean vr_realize_remote_upload (Realize *r,
                                   int src,
                                   const char *relpath,
                                   const char *name,
                                   char **chosen,
                                   GError **error);

/* Uploads the carried variable store (relpath) into a new volume
 * NAME_VARS.fd of the remote pool, journaled, and points r->doc's <nvram>
 * at it. */
gboolean vr_realize_remote_place_nvram (Realize *r,
                                        const char *relpath,
                                        GError **error);

/* r->doc's /domain/os/nvram (made when missing) names path. */
void vr_realize_set_nvram_path (Realize *r, const char *path);

/* Restores the uploaded save image (r->pool_path) into r->dom, as a
 * managed save or started, and deletes the upload. */
gboolean vr_realize_remote_hand_off (Realize *r, GError **error);

/* The path a file name of the pool has for libvirt: in the local pool
 * directory, or in the remote pool's. */
char *vr_realize_pool_path (Realize *r, const char *name);

/* The carried UEFI variable store and TPM state put where this host's
 * libvirt looks for them, each journaled (realize-firmware.c); r->doc's
 * <nvram> names the store. */
gboolean vr_realize_place_firmware (Realize *r, GError **error);

/* The XML to write into the copied save image: the planned XML with the
 * image's own firmware (<os> with its <loader>) and this host's <nvram>
 * path. */
char *vr_realize_image_xml (Realize *r, xmlDoc *image);

/* Removes the variable store and TPM state the journal says this job
 * made, each only while it is still the inode made. */
void vr_realize_undo_firmware (const VrRealizeJournal *journal);

/* The disks' copies: relative path in the import directory -> the copy's
 * path, for the snapshots' disk sources (realize-disks.c). */
GHashTable *vr_realize_disk_targets (Realize *r);

/* Copies src (relpath in the import directory) into the pool under name
 * (a remote realize uploads it into a new volume instead, *entry NULL),
 * or the first free name after it when name is taken: an existing file is
 * never replaced. Each name the copy's file gets is journaled before it
 * can appear; *chosen is the name it got and *entry its journal entry.
 * What was read is checked against the manifest (or the size the import
 * saw) before the caller goes on. */
gboolean vr_realize_copy_to_pool (Realize *r,
                                  int src,
                                  const char *relpath,
                                  const char *name,
                                  char **chosen,
                                  VrJournalFile **entry,
                                  GError **error);

/* The disks inside the import directory that --copy-disks copies, each a
 * step of r->files. */
gboolean vr_realize_plan_disks (Realize *r, GError **error);

/* Copies them into the pool and points r->doc at the copies. */
gboolean vr_realize_copy_disks (Realize *r, GError **error);

/* A checksum for the copy of relpath when the import directory has a
 * manifest to check it against, else NULL. */
VrSha256 *vr_realize_checksum_for (Realize *r);

/* Checks that the copy of relpath (size bytes, hashed into checksum when
 * not NULL) is what was exported (the manifest) or imported (the size the
 * record kept, for the save image). */
gboolean vr_realize_verify_copy (Realize *r,
                                 const char *relpath,
                                 guint64 size,
                                 VrSha256 *checksum,
                                 GError **error);

/* With a manifest, the source's size (size, from fstat before the copy)
 * is the one it lists: a file grown since (a sparse hole of terabytes)
 * is refused before it is read, not after hours of hashing in a job
 * slot others wait for (thirteenth review, D2). */
gboolean vr_realize_verify_source_size (Realize *r, const char *relpath,
                                        guint64 size, GError **error);

/* The save image's copy (in the pool, or the remote volume's head) holds
 * the header and XML validation judged, byte for byte: libvirt parses
 * that XML on every call naming the file, and parsing probes (runs) its
 * <emulator> as QEMU's user (thirteenth review, C1). The caller could
 * rewrite the source between validation's read and the copy. */
gboolean vr_realize_verify_image (Realize *r, GError **error);

/* Checks the header of a disk's copy (open on fd: ours, in the pool, or
 * its head read back from a remote volume) against what the plan read in
 * the source's: the same format, the same backing file name (or none),
 * no external data file unless host access is allowed (tenth review,
 * F1: the caller may have swapped the source since). */
gboolean vr_realize_verify_header (Realize *r,
                                   const char *relpath,
                                   int fd,
                                   const char *format,
                                   const char *backing,
                                   GError **error);

/* The first length bytes (or fewer, the whole volume) of the remote
 * pool's volume name, in a memfd for vr_realize_verify_header; -1 on
 * error. */
int vr_realize_remote_read_head (Realize *r,
                                 const char *name,
                                 gsize length,
                                 GError **error);

G_END_DECLS
