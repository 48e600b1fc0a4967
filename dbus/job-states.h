/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The Job interface's JobState values (CIM Msvm_ConcreteJob.JobState), as
 * the agent sends them; its clients name them with these. */
typedef enum {
  VR_DBUS_JOB_NEW = 2,
  VR_DBUS_JOB_STARTING = 3,
  VR_DBUS_JOB_RUNNING = 4,
  VR_DBUS_JOB_COMPLETED = 7,
  VR_DBUS_JOB_TERMINATED = 8,
  VR_DBUS_JOB_KILLED = 9,
  VR_DBUS_JOB_EXCEPTION = 10,
} VrDBusJobState;

/* "queued", "running", "completed", "cancelled", "failed"...: the word a
 * person reads; "unknown" for a value not in the table. */
const char *vr_dbus_job_state_describe (guint state);

/* Whether a job in this state has ended (it will not change again). */
gboolean vr_dbus_job_state_is_final (guint state);

G_END_DECLS
