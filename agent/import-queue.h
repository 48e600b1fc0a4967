/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The agent's imports (manifest hashing reads whole disks): at most max
 * at once, the rest waiting in order; one caller (uid) runs at most
 * max - 1 of them (one when max is 1), so that one user's imports never
 * hold every slot while others wait (F11 of the blind review). */
typedef struct _VrImportQueue VrImportQueue;

/* stopping: cancelled when the agent stops, which cancels every import
 * under way or waiting (their tasks' cancellables). */
VrImportQueue *vr_import_queue_new (guint max, GCancellable *stopping);

/* Runs func as g_task_run_in_thread would, when uid's turn comes. */
void vr_import_queue_push (VrImportQueue *queue,
                           guint uid,
                           GTask *task,
                           GTaskThreadFunc func);

/* Waits for every import, running and waiting, then frees the queue. */
void vr_import_queue_free (VrImportQueue *queue);

G_END_DECLS
