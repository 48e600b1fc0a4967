/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "system-work.h"

struct _VrSystemWork {
  GHashTable *queues; /* key -> GQueue of Piece; the head is running */
};

typedef struct {
  GHashTable *queues; /* the owner's, referenced: it may be freed first */
  char *key;
  GTask *task;
  GTaskThreadFunc func;
} Piece;

static void
piece_free (Piece *piece)
{
  g_hash_table_unref (piece->queues);
  g_free (piece->key);
  g_object_unref (piece->task);
  g_free (piece);
}

static void
queue_free (gpointer data)
{
  g_queue_free_full (data, (GDestroyNotify) piece_free);
}

VrSystemWork *
vr_system_work_new (void)
{
  VrSystemWork *self = g_new0 (VrSystemWork, 1);

  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        queue_free);
  return self;
}

void
vr_system_work_free (VrSystemWork *self)
{
  GHashTableIter iter;
  gpointer queue;

  /* A running piece belongs to its thread's task, which frees it when it
   * returns; queued ones are dropped, and their tasks' callbacks never
   * come: nobody is left to answer. */
  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, NULL, &queue))
    g_queue_pop_head (queue);
  g_hash_table_remove_all (self->queues);
  g_hash_table_unref (self->queues);
  g_free (self);
}

static void start (Piece *piece);

static void
run_piece (GTask *outer, gpointer source, gpointer task_data,
           GCancellable *cancellable)
{
  Piece *piece = task_data;

  piece->func (piece->task, g_task_get_source_object (piece->task),
               g_task_get_task_data (piece->task),
               g_task_get_cancellable (piece->task));
  g_task_return_boolean (outer, TRUE);
}

/* In the main context once a piece's function returned: the next piece of
 * its key starts. */
static void
piece_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Piece *piece = g_task_get_task_data (G_TASK (result));
  GQueue *queue = g_hash_table_lookup (piece->queues, piece->key);

  /* The queue went with vr_system_work_free(), or is another one made
   * since: only a queue whose head is this piece is ours. */
  if (queue == NULL || g_queue_peek_head (queue) != piece)
    {
      piece_free (piece);
      return;
    }
  g_queue_pop_head (queue);
  if (g_queue_is_empty (queue))
    g_hash_table_remove (piece->queues, piece->key);
  else
    start (g_queue_peek_head (queue));
  piece_free (piece);
}

static void
start (Piece *piece)
{
  g_autoptr (GTask) outer = g_task_new (NULL, NULL, piece_done, NULL);

  g_task_set_task_data (outer, piece, NULL);
  g_task_run_in_thread (outer, run_piece);
}

void
vr_system_work_run (VrSystemWork *self, const char *key, GTask *task,
                    GTaskThreadFunc func)
{
  Piece *piece = g_new0 (Piece, 1);
  GQueue *queue = g_hash_table_lookup (self->queues, key);

  piece->queues = g_hash_table_ref (self->queues);
  piece->key = g_strdup (key);
  piece->task = g_object_ref (task);
  piece->func = func;
  if (queue != NULL)
    {
      g_queue_push_tail (queue, piece);
      return;
    }
  queue = g_queue_new ();
  g_queue_push_tail (queue, piece);
  g_hash_table_insert (self->queues, g_strdup (key), queue);
  start (piece);
}

guint
vr_system_work_pending (VrSystemWork *self, const char *key)
{
  GQueue *queue = g_hash_table_lookup (self->queues, key);

  return queue != NULL ? g_queue_get_length (queue) : 0;
}
