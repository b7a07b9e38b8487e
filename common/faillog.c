/* faillog: see faillog.h. */
#include "faillog.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

bool faillog_name_parse(const char *name, char sha[SHA256_HEX_LEN + 1])
{
	if (strlen(name) != FAILLOG_NAME_LEN || strcmp(name + SHA256_HEX_LEN, FAILLOG_SUFFIX) != 0)
		return false;
	char h[SHA256_HEX_LEN + 1];
	memcpy(h, name, SHA256_HEX_LEN);
	h[SHA256_HEX_LEN] = '\0';
	if (!sha256_hex_valid(h))
		return false;
	if (sha)
		memcpy(sha, h, sizeof h);
	return true;
}

bool faillog_decode(const void *bytes, size_t len, const char *sha, char **text,
		    struct ferry_error **err)
{
	char got[SHA256_HEX_LEN + 1];
	if (text)
		*text = NULL;
	if (len > FAILLOG_MAX)
		return ferry_error_setc(err, FERRY_E_UNSAFE, "failure log %.12s: %zu bytes, more than %d",
					sha, len, FAILLOG_MAX);
	sha256_buffer_hex(bytes, len, got);
	if (strcmp(got, sha) != 0)
		return ferry_error_setc(err, FERRY_E_INTEGRITY,
					"failure log %.12s: SHA-256 does not match (%.12s)", sha, got);
	unsigned long long size = ZSTD_getFrameContentSize(bytes, len);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return ferry_error_setc(err, FERRY_E_FORMAT, "failure log %.12s: not a zstd frame", sha);
	if (size > FAILLOG_TEXT_MAX)
		return ferry_error_setc(err, FERRY_E_UNSAFE,
					"failure log %.12s: expands to %llu bytes, more than %d", sha, size,
					FAILLOG_TEXT_MAX);
	char *t = malloc(size + 1);
	if (!t)
		return ferry_error_setc(err, FERRY_E_INTERNAL, "out of memory");
	size_t r = ZSTD_decompress(t, size, bytes, len);
	if (ZSTD_isError(r) || r != size) {
		free(t);
		return ferry_error_setc(err, FERRY_E_FORMAT, "failure log %.12s: corrupt zstd data", sha);
	}
	t[size] = '\0';
	if (text)
		*text = t;
	else
		free(t);
	return true;
}
