/* sha256: see sha256.h. */
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sha256 {
	gcry_md_hd_t md;
};

static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static bool crypto_ok;

static void crypto_init_once(void)
{
	/* The version check is what initialises libgcrypt; GPGME may have done
	 * it already, in which case this only confirms it. */
	if (!gcry_check_version(GCRYPT_VERSION))
		return;
	if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
		gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
		gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	}
	crypto_ok = true;
}

bool crypto_init(struct ferry_error **err)
{
	pthread_once(&crypto_once, crypto_init_once);
	if (!crypto_ok)
		return ferry_error_set(err, "libgcrypt is older than %s", GCRYPT_VERSION);
	return true;
}

struct sha256 *sha256_new(void)
{
	if (!crypto_init(NULL))
		return NULL;
	struct sha256 *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	if (gcry_md_open(&h->md, GCRY_MD_SHA256, 0)) {
		free(h);
		return NULL;
	}
	return h;
}

void sha256_update(struct sha256 *h, const void *data, size_t len)
{
	gcry_md_write(h->md, data, len);
}

void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN])
{
	memcpy(out, gcry_md_read(h->md, GCRY_MD_SHA256), SHA256_LEN);
}

void sha256_final_hex(struct sha256 *h, char out[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	sha256_final(h, d);
	hex_encode(d, SHA256_LEN, out);
}

void sha256_reset(struct sha256 *h)
{
	gcry_md_reset(h->md);
}

void sha256_free(struct sha256 *h)
{
	if (!h)
		return;
	gcry_md_close(h->md);
	free(h);
}

void sha256_buffer(const void *data, size_t len, uint8_t out[SHA256_LEN])
{
	crypto_init(NULL);
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, data, len);
}

void sha256_buffer_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	uint8_t d[SHA256_LEN];
	sha256_buffer(data, len, d);
	hex_encode(d, SHA256_LEN, out);
}

bool sha256_file_hex(const char *path, char out[SHA256_HEX_LEN + 1], uint64_t *size_out,
		     struct ferry_error **err)
{
	bool ok = false;
	struct sha256 *h = NULL;
	uint64_t total = 0;
	enum { BUF = 1 << 20 };
	char *buf = malloc(BUF);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ferry_error_errno(err, errno, "%s", path);
		goto out;
	}
	h = sha256_new();
	if (!buf || !h) {
		ferry_error_set(err, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ferry_error_errno(err, errno, "%s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		sha256_update(h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	sha256_final_hex(h, out);
	if (size_out)
		*size_out = total;
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	sha256_free(h);
	free(buf);
	return ok;
}

void hex_encode(const uint8_t *bytes, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool hex_decode(const char *hex, uint8_t *out, size_t len)
{
	if (strlen(hex) != 2 * len)
		return false;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool sha256_hex_valid(const char *hex)
{
	if (!hex || strlen(hex) != SHA256_HEX_LEN)
		return false;
	for (const char *p = hex; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}
