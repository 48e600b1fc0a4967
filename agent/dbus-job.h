/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "daemon.h"

G_BEGIN_DECLS

/* A job exported at /org/virtrealize/Realize1/jobs/N: a queued realize
 * (JobState New), the VrJob that runs it, and what is left of it after it
 * ended. Its properties follow the VrJob's "changed", which comes at most
 * ten times a second. It emits "ended" once, after Completed; the daemon
 * listens (the job never calls it back). */
#define VR_TYPE_JOB_OBJECT (vr_job_object_get_type ())
G_DECLARE_FINAL_TYPE (VrJobObject, vr_job_object, VR, JOB_OBJECT, GObject)

/* A realize waiting for a worker; options are copied. */
VrJobObject *vr_job_object_new_realize (VrDaemon *daemon,
                                        guint id,
                                        VrPlannedSystem *system,
                                        const VrRealizeOptions *options,
                                        guint owner_uid);

/* A realize that an earlier agent did not finish: ended, Exception (10),
 * its ErrorDescription beginning with "interrupted". system is as
 * vr_realize_recover() left it. */
VrJobObject *vr_job_object_new_interrupted (VrDaemon *daemon,
                                            guint id,
                                            VrPlannedSystem *system);

/* Runs a queued realize now; a failure to begin ends the job with it. */
void vr_job_object_start (VrJobObject *job);

/* Stops a queued or running job (a running one rolls back first). */
void vr_job_object_cancel (VrJobObject *job);

GDBusObjectSkeleton *vr_job_object_get_object (VrJobObject *job);

guint vr_job_object_get_id (VrJobObject *job);
const char *vr_job_object_get_path (VrJobObject *job);
const char *vr_job_object_get_system_uuid (VrJobObject *job);
gboolean vr_job_object_is_queued (VrJobObject *job);
gboolean vr_job_object_is_finished (VrJobObject *job);

G_END_DECLS
