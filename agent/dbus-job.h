/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libvirt/libvirt.h>

#include "dbus-names.h"
#include "host-caps.h"
#include "job.h"
#include "planned-system.h"
#include "realize.h"
#include "store.h"
#include "vr-dbus-generated.h"

G_BEGIN_DECLS

/* A job exported at /org/virtrealize/Realize1/jobs/N, and its Job
 * interface itself (a subclass of the generated skeleton; the object at
 * its path holds it, the job holds no object): a queued realize
 * (JobState New), the VrJob that runs it, and what is left of it after it
 * ended. Its properties follow the VrJob's "changed", which comes at most
 * ten times a second; nothing is read from the store for them. It knows
 * nothing of the daemon: it emits "running" once its realize runs (the
 * planned system is realizing), "finished" (success, message) when the
 * realize is over (the daemon brings the planned system's object up to
 * date, then calls vr_job_object_end), and "ended" once, after Completed
 * went out. */
#define VR_TYPE_JOB_OBJECT (vr_job_object_get_type ())
G_DECLARE_FINAL_TYPE (VrJobObject, vr_job_object, VR, JOB_OBJECT,
                      VrDBusJobSkeleton)

/* A realize waiting for a worker; options are copied. session: on a
 * session bus (Cancel is then the agent's own user's only). */
VrJobObject *vr_job_object_new_realize (guint id,
                                        VrPlannedSystem *system,
                                        const VrRealizeOptions *options,
                                        guint owner_uid,
                                        gboolean session);

/* A realize that an earlier agent did not finish: ended, Exception (10),
 * its ErrorDescription beginning with "interrupted". system is as
 * vr_realize_recover() left it. */
VrJobObject *vr_job_object_new_interrupted (guint id,
                                            VrPlannedSystem *system);

/* An import (JobType "import") of caller owner_uid: its Target is "/"
 * until the planned system is made (vr_job_object_set_target); name is
 * what TargetName shows meanwhile ("" for the domain's). It runs the VrJob
 * given to vr_job_object_run. */
VrJobObject *vr_job_object_new_import (guint id,
                                       const char *name,
                                       guint owner_uid,
                                       gboolean session);

/* The planned system the import made: Target and TargetName name it. Set
 * before the import's VrJob reports it completed, or on its "completed"
 * ahead of the job object (connected first), so that a client reading
 * Target on Completed finds it. */
void vr_job_object_set_target (VrJobObject *job, VrPlannedSystem *system);

/* Shows a started VrJob (its properties, Cancel, Completed). */
void vr_job_object_run (VrJobObject *job, VrJob *backend);

/* Runs a queued realize now, on system as read for it and the daemon's
 * libvirt connection (the job takes its own references). */
void vr_job_object_begin (VrJobObject *job,
                          VrStore *store,
                          VrHostCaps *caps,
                          virConnectPtr conn,
                          VrPlannedSystem *system);

/* Ends a queued job that could not begin (its planned system is gone,
 * libvirt is not reachable) with error. */
void vr_job_object_fail_to_begin (VrJobObject *job, const GError *error);

/* After "finished": the final state goes out with Completed, then
 * "ended". */
void vr_job_object_end (VrJobObject *job);

/* Stops a queued or running job (a running one rolls back first). */
void vr_job_object_cancel (VrJobObject *job);

guint vr_job_object_get_id (VrJobObject *job);
const char *vr_job_object_get_path (VrJobObject *job);
/* NULL for an import until it made its planned system. */
const char *vr_job_object_get_system_uuid (VrJobObject *job);
/* The agent.conf name of the host the job realizes onto, NULL for the
 * agent's own libvirt. */
const char *vr_job_object_get_host (VrJobObject *job);
gboolean vr_job_object_is_finished (VrJobObject *job);

G_END_DECLS
