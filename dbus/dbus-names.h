/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's names on the bus, for the agent and its clients alike. */
#define VR_DBUS_NAME "org.virtrealize.Realize1"
#define VR_DBUS_ROOT "/org/virtrealize/Realize1"
#define VR_DBUS_MANAGER_PATH VR_DBUS_ROOT "/Manager"
#define VR_DBUS_PLANNED_PREFIX VR_DBUS_ROOT "/planned/"
#define VR_DBUS_JOBS_PREFIX VR_DBUS_ROOT "/jobs/"
#define VR_DBUS_MANAGER_IFACE VR_DBUS_NAME ".Manager"
#define VR_DBUS_PLANNED_IFACE VR_DBUS_NAME ".PlannedSystem"
#define VR_DBUS_JOB_IFACE VR_DBUS_NAME ".Job"
