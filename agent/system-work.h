/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The agent's blocking work on planned systems (reading and writing the
 * store, libvirt calls), off the main loop: each piece runs on a worker
 * thread of GTask's pool, and the pieces of one planned system run one
 * after another in the order they were asked for, as they did when the
 * main loop ran them (an Update then a Destroy of the same system never
 * overtake each other). Different systems run at the same time. Used
 * from the main context only; the task's callback comes there as usual. */
typedef struct _VrSystemWork VrSystemWork;

VrSystemWork *vr_system_work_new (void);
/* Work under way holds its own references; it still ends. */
void vr_system_work_free (VrSystemWork *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrSystemWork, vr_system_work_free)

/* Runs func (task's thread function, which must return the task) after
 * the work of key queued before; task is referenced until then. */
void vr_system_work_run (VrSystemWork *self,
                         const char *key,
                         GTask *task,
                         GTaskThreadFunc func);

/* Pieces of key queued or running. */
guint vr_system_work_pending (VrSystemWork *self, const char *key);

G_END_DECLS
