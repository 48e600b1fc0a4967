/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "sha256.h"

#include <openssl/evp.h>

struct VrSha256 {
  EVP_MD_CTX *ctx;
  char hex[65];
  gboolean done;
};

VrSha256 *
vr_sha256_new (void)
{
  VrSha256 *sha = g_new0 (VrSha256, 1);

  sha->ctx = EVP_MD_CTX_new ();
  if (sha->ctx == NULL || EVP_DigestInit_ex (sha->ctx, EVP_sha256 (), NULL) != 1)
    g_error ("libcrypto cannot make a SHA-256 context");
  return sha;
}

void
vr_sha256_update (VrSha256 *sha, const void *data, gsize len)
{
  g_return_if_fail (!sha->done);
  if (EVP_DigestUpdate (sha->ctx, data, len) != 1)
    g_error ("libcrypto's SHA-256 failed");
}

const char *
vr_sha256_hex (VrSha256 *sha)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (sha->done)
    return sha->hex;
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
  EVP_MD_CTX_free (sha->ctx);
  g_free (sha);
}
