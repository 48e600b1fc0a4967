/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "import-queue.h"
#include "uid-share.h"

struct _VrImportQueue {
  GMutex lock;
  GCond idle;           /* signalled whenever an import ends */
  GThreadPool *workers; /* only ever given an import that may run now */
  GQueue waiting;       /* of Item, in order of arrival */
  VrUidShare *share;    /* who runs how many */
  guint running;
  guint max;
  /* Cancelled when the agent stops: an import under way stops hashing
   * (nothing of it is kept) and a waiting one ends as soon as it runs. */
  GCancellable *stopping;
};

typedef struct {
  guint uid;
  GTask *task;
  GTaskThreadFunc func;
} Item;

static void
count (VrImportQueue *queue, guint uid, int delta)
{
  queue->running += delta;
  vr_uid_share_count (queue->share, uid, delta);
}

/* Hands the workers the first waiting imports whose callers are below
 * their share, while slots are free. Under the lock. */
static void
start_ready (VrImportQueue *queue)
{
  GList *l = queue->waiting.head;

  while (l != NULL && queue->running < queue->max)
    {
      GList *next = l->next;
      Item *item = l->data;

      if (vr_uid_share_allows (queue->share, item->uid))
        {
          g_queue_delete_link (&queue->waiting, l);
          count (queue, item->uid, 1);
          g_thread_pool_push (queue->workers, item, NULL);
        }
      l = next;
    }
}

static void
cancel_import (GCancellable *stopping, gpointer cancellable)
{
  g_cancellable_cancel (cancellable);
}

static void
run (gpointer data, gpointer user_data)
{
  Item *item = data;
  VrImportQueue *queue = user_data;
  GCancellable *cancellable = g_task_get_cancellable (item->task);
  gulong handler = cancellable != NULL
                       ? g_cancellable_connect (queue->stopping,
                                                G_CALLBACK (cancel_import),
                                                cancellable, NULL)
                       : 0;

  item->func (item->task, g_task_get_source_object (item->task),
              g_task_get_task_data (item->task), cancellable);
  g_cancellable_disconnect (queue->stopping, handler);
  g_object_unref (item->task);
  g_mutex_lock (&queue->lock);
  count (queue, item->uid, -1);
  start_ready (queue);
  g_cond_broadcast (&queue->idle);
  g_mutex_unlock (&queue->lock);
  g_free (item);
}

VrImportQueue *
vr_import_queue_new (guint max, GCancellable *stopping)
{
  VrImportQueue *queue = g_new0 (VrImportQueue, 1);

  queue->stopping = g_object_ref (stopping);
  g_mutex_init (&queue->lock);
  g_cond_init (&queue->idle);
  g_queue_init (&queue->waiting);
  queue->max = MAX (max, 1);
  queue->share = vr_uid_share_new (queue->max);
  queue->workers = g_thread_pool_new (run, queue, (int) queue->max, FALSE,
                                      NULL);
  return queue;
}

void
vr_import_queue_push (VrImportQueue *queue, guint uid, GTask *task,
                      GTaskThreadFunc func)
{
  Item *item = g_new0 (Item, 1);

  item->uid = uid;
  item->task = g_object_ref (task);
  item->func = func;
  g_mutex_lock (&queue->lock);
  g_queue_push_tail (&queue->waiting, item);
  start_ready (queue);
  g_mutex_unlock (&queue->lock);
}

void
vr_import_queue_free (VrImportQueue *queue)
{
  if (queue == NULL)
    return;
  g_mutex_lock (&queue->lock);
  while (queue->running > 0 || queue->waiting.length > 0)
    g_cond_wait (&queue->idle, &queue->lock);
  g_mutex_unlock (&queue->lock);
  g_thread_pool_free (queue->workers, FALSE, TRUE);
  vr_uid_share_free (queue->share);
  g_mutex_clear (&queue->lock);
  g_cond_clear (&queue->idle);
  g_object_unref (queue->stopping);
  g_free (queue);
}
