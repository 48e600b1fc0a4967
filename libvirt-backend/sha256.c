/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "sha256.h"

#include <openssl/evp.h>

struct VrSha256 {
  EVP_MD_CTX *ctx;
  char hex[65];
  gboolean done;
  /* vr_sha256_update_async's worker, started on first use */
  GThread *worker;
  GMutex lock;
  GCond cond;
  const void *data;   /* being hashed by the worker, or NULL */
  gsize len;
  gboolean quit;
};

VrSha256 *
vr_sha256_new (void)
{
  VrSha256 *sha = g_new0 (VrSha256, 1);

  g_mutex_init (&sha->lock);
  g_cond_init (&sha->cond);
  sha->ctx = EVP_MD_CTX_new ();
  if (sha->ctx == NULL || EVP_DigestInit_ex (sha->ctx, EVP_sha256 (), NULL) != 1)
    g_error ("libcrypto cannot make a SHA-256 context");
  return sha;
}

static void
digest_update (VrSha256 *sha, const void *data, gsize len)
{
  if (EVP_DigestUpdate (sha->ctx, data, len) != 1)
    g_error ("libcrypto's SHA-256 failed");
}

/* Until the worker has hashed what it was given. */
static void
wait_idle (VrSha256 *sha)
{
  g_mutex_lock (&sha->lock);
  while (sha->data != NULL)
    g_cond_wait (&sha->cond, &sha->lock);
  g_mutex_unlock (&sha->lock);
}

static gpointer
worker (gpointer user_data)
{
  VrSha256 *sha = user_data;

  g_mutex_lock (&sha->lock);
  for (;;)
    {
      while (sha->data == NULL && !sha->quit)
        g_cond_wait (&sha->cond, &sha->lock);
      if (sha->data == NULL)
        break;
      g_mutex_unlock (&sha->lock);
      digest_update (sha, sha->data, sha->len);
      g_mutex_lock (&sha->lock);
      sha->data = NULL;
      g_cond_broadcast (&sha->cond);
    }
  g_mutex_unlock (&sha->lock);
  return NULL;
}

void
vr_sha256_update (VrSha256 *sha, const void *data, gsize len)
{
  g_return_if_fail (!sha->done);
  wait_idle (sha);
  digest_update (sha, data, len);
}

void
vr_sha256_update_async (VrSha256 *sha, const void *data, gsize len)
{
  g_return_if_fail (!sha->done);
  wait_idle (sha);
  if (sha->worker == NULL)
    sha->worker = g_thread_try_new ("vr-sha256", worker, sha, NULL);
  if (sha->worker == NULL)
    {
      digest_update (sha, data, len);
      return;
    }
  g_mutex_lock (&sha->lock);
  sha->data = data;
  sha->len = len;
  g_cond_broadcast (&sha->cond);
  g_mutex_unlock (&sha->lock);
}

void
vr_sha256_settle (VrSha256 *sha)
{
  wait_idle (sha);
}

const char *
vr_sha256_hex (VrSha256 *sha)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (sha->done)
    return sha->hex;
  wait_idle (sha);
  if (EVP_DigestFinal_ex (sha->ctx, digest, &len) != 1 || len != 32)
    g_error ("libcrypto's SHA-256 failed");
  for (guint i = 0; i < len; i++)
    g_snprintf (sha->hex + 2 * i, 3, "%02x", digest[i]);
  sha->done = TRUE;
  return sha->hex;
}

void
vr_sha256_free (VrSha256 *sha)
{
  if (sha == NULL)
    return;
  if (sha->worker != NULL)
    {
      wait_idle (sha);
      g_mutex_lock (&sha->lock);
      sha->quit = TRUE;
      g_cond_broadcast (&sha->cond);
      g_mutex_unlock (&sha->lock);
      g_thread_join (sha->worker);
    }
  g_mutex_clear (&sha->lock);
  g_cond_clear (&sha->cond);
  EVP_MD_CTX_free (sha->ctx);
  g_free (sha);
}
