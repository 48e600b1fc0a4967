/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* What the commands show, the same whichever transport filled it in: the
 * in-process backend (transport-direct.c) or the agent's properties
 * (transport-dbus.c). Plain data, so that virt-realize links no backend. */

/* Whether a realized system's domain is still defined: asked of libvirt
 * by show only (never stored), UNKNOWN when not asked or not askable. */
typedef enum {
  VR_CLI_DOMAIN_UNKNOWN,
  VR_CLI_DOMAIN_DEFINED,
  VR_CLI_DOMAIN_UNDEFINED,
} VrCliDomainPresence;

typedef struct {
  char *name;
  char *uuid;
  char *state;      /* planned, realizing, realized, failed */
  char *import_dir;
  char *domain;     /* NULL until realized */
  char *connection; /* the URI it was realized on; NULL when not known */
  VrCliDomainPresence domain_presence;
  gboolean has_saved_state;
  char *save_file;  /* NULL without a saved state (or in a listing) */
  guint64 save_size;
  gboolean save_was_running;
  gboolean saved_state_discarded;
  char *nvram_file;
  guint64 nvram_size;
  char *tpm_folder;
  gboolean tpm_discarded;
  GStrv snapshots;  /* parents first; NULL for none */
  char *current_snapshot;
  guint64 memory_kib;
  guint vcpus;
  gint64 created;   /* microseconds since the epoch */
  int last_job_code;
  char *last_job_message; /* NULL before any job */
} VrCliSystem;

/* Microseconds since the epoch, both ways (GLib 2.74 has no _usec
 * functions). */
gint64 vr_cli_time_to_usec (GDateTime *time);
GDateTime *vr_cli_time_new_utc (gint64 usec);

void vr_cli_system_free (VrCliSystem *system);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliSystem, vr_cli_system_free)

JsonNode *vr_cli_system_to_json (const VrCliSystem *system);
/* What list prints: name, uuid, state, saved_state (bool), domain. */
JsonNode *vr_cli_system_summary_to_json (const VrCliSystem *system);

/* What validate looked at, and what it found (VrFinding). */
typedef struct {
  char *kind;   /* planned, directory, file */
  char *target; /* the planned system's name, or the path given */
  GPtrArray *findings;
} VrCliValidation;

void vr_cli_validation_free (VrCliValidation *validation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliValidation, vr_cli_validation_free)

JsonNode *vr_cli_validation_to_json (const VrCliValidation *validation);

/* How a planned system fits one libvirt host (validate/realize --host). */
typedef struct {
  char *uri;           /* or the agent's name of the host, as given */
  gboolean reachable;
  gboolean fits;
  gboolean chosen;     /* the host realize --host takes */
  char *blocking;      /* why not; NULL when it fits */
  guint64 free_memory; /* bytes */
  guint cpus;
  char *line;          /* the sentence the text output prints */
} VrCliPlacement;

void vr_cli_placement_free (VrCliPlacement *placement);

/* The line text output prints for a host: "URI: fits|does not fit: WHY
 * (X free memory, N CPUs)", and for the chosen one why it was chosen. */
char *vr_cli_placement_describe (const VrCliPlacement *placement);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliPlacement, vr_cli_placement_free)

/* An array of the hosts, in the order given. */
JsonNode *vr_cli_placements_to_json (GPtrArray *placements);

/* A job, as the agent's Job interface describes it. */
typedef struct {
  char *id;          /* "3" */
  char *type;        /* realize, export, verify */
  char *target;      /* the planned system's name (or the domain's) */
  guint state;       /* VrDBusJobState */
  char *phase;       /* NULL before the first step */
  guint percent;
  guint64 bytes_done;
  guint64 bytes_total;
  guint64 rate;      /* bytes a second, 0 when nothing moves */
  gint64 eta;        /* seconds, -1 when unknown */
  int error_code;
  char *error_description;
  gint64 start_time; /* microseconds since the epoch, 0 while queued */
  gint64 elapsed;    /* microseconds */
} VrCliJob;

void vr_cli_job_free (VrCliJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliJob, vr_cli_job_free)

JsonNode *vr_cli_job_to_json (const VrCliJob *job);

/* What export wrote. */
typedef struct {
  char *domain;
  char *uuid;
  char *directory;
  /* The other host's libvirt it was exported from (a saved state stays
   * there), or NULL for this host's. */
  char *remote_uri;
  char *save_file;
  gboolean saved;
  guint disks;
  gboolean nvram;
  gboolean tpm;
  guint snapshots;
  guint64 bytes;
  GStrv notes;
} VrCliExport;

void vr_cli_export_free (VrCliExport *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrCliExport, vr_cli_export_free)

JsonNode *vr_cli_export_to_json (const VrCliExport *result);

G_END_DECLS
