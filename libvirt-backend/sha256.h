/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* SHA-256 through libcrypto, which uses the CPU's SHA extensions where
 * there are some: about 20 times GChecksum's speed here, which decides
 * whether hashing a copy as it is read costs a few percent of the copy or
 * several times its time (tests/bench/bench-copy --hash-only). */
typedef struct VrSha256 VrSha256;

VrSha256 *vr_sha256_new (void);
void vr_sha256_update (VrSha256 *sha, const void *data, gsize len);

/* The same on a thread of the hash's own, so that a copy hashes one buffer
 * while it reads the next: data must stay as it is until the next call on
 * sha, which waits for it (so does every other call). */
void vr_sha256_update_async (VrSha256 *sha, const void *data, gsize len);

/* Returns once the worker has hashed what it was given: the caller may
 * then free or reuse that data (a copy that ends early, or in error,
 * frees its buffers without asking for the digest). */
void vr_sha256_settle (VrSha256 *sha);

/* The digest as 64 lower-case hex digits; the hash takes no more data. */
const char *vr_sha256_hex (VrSha256 *sha);

void vr_sha256_free (VrSha256 *sha);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VrSha256, vr_sha256_free)

G_END_DECLS
