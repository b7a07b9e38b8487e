/* sha256: streaming SHA-256 and lowercase hex over libgcrypt.
 * Owns libgcrypt's one-time initialisation (crypto_init), which every program
 * and GPGME user goes through before hashing. */
#ifndef FERRY_SHA256_H
#define FERRY_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64   /* without the NUL */

/* Initialises libgcrypt once (thread-safe, idempotent). */
bool crypto_init(struct ferry_error **err);

struct sha256;   /* opaque streaming context */

struct sha256 *sha256_new(void);             /* NULL on out of memory; calls crypto_init */
void sha256_update(struct sha256 *h, const void *data, size_t len);
/* Writes the digest; the context may be reused after sha256_reset. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN]);
void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1]);
void sha256_reset(struct sha256 *h);
void sha256_free(struct sha256 *h);

/* One-shot helpers. */
void sha256_buffer(const void *data, size_t len, uint8_t out[SHA256_LEN]);
void sha256_buffer_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);
bool sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1], uint64_t *size_out,
		     struct ferry_error **err);

void hex_encode(const uint8_t *bytes, size_t len, char *out);   /* out holds 2*len+1 */
/* Decodes exactly 2*len lowercase or uppercase hex digits; false on anything else. */
bool hex_decode(const char *hex, uint8_t *out, size_t len);
/* True for exactly 64 lowercase hex digits. */
bool sha256_hex_valid(const char *hex);

#endif
