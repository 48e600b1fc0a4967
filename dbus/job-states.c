/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "job-states.h"

const char *
vr_dbus_job_state_describe (guint state)
{
  switch ((VrDBusJobState) state)
    {
    case VR_DBUS_JOB_NEW:
      return "queued";
    case VR_DBUS_JOB_STARTING:
      return "starting";
    case VR_DBUS_JOB_RUNNING:
      return "running";
    case VR_DBUS_JOB_COMPLETED:
      return "completed";
    case VR_DBUS_JOB_TERMINATED:
      return "cancelled";
    case VR_DBUS_JOB_KILLED:
      return "killed";
    case VR_DBUS_JOB_EXCEPTION:
      return "failed";
    }
  return "unknown";
}

gboolean
vr_dbus_job_state_is_final (guint state)
{
  return state >= VR_DBUS_JOB_COMPLETED;
}
