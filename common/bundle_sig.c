/* bundle_sig: see bundle_sig.h (packet layout: RFC 4880 §4.2, §5.2.3). */
#include "bundle_sig.h"

#include <stdint.h>
#include <string.h>

#define TAG_SIGNATURE 2
#define SUB_ISSUER 16          /* 8-byte key id */
#define SUB_ISSUER_FPR 33      /* version byte + 20-byte v4 fingerprint */

struct cursor {
	const uint8_t *p;
	size_t left;
};

static bool take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return false;
	*out = c->p;
	c->p += n;
	c->left -= n;
	return true;
}

static bool take_u8(struct cursor *c, uint32_t *v)
{
	const uint8_t *b;
	if (!take(c, 1, &b))
		return false;
	*v = b[0];
	return true;
}

static bool take_be(struct cursor *c, size_t n, uint32_t *v)
{
	const uint8_t *b;
	if (!take(c, n, &b))
		return false;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return true;
}

/* A packet header: tag and body length (no partial or indeterminate lengths). */
static bool packet_header(struct cursor *c, uint32_t *tag, uint32_t *len, const char **why)
{
	uint32_t b, o1, o2;
	*why = "truncated packet header";
	if (!take_u8(c, &b))
		return false;
	if (!(b & 0x80))
		return (*why = "not an OpenPGP packet"), false;
	if (b & 0x40) {
		*tag = b & 0x3f;
		if (!take_u8(c, &o1))
			return false;
		if (o1 < 192)
			*len = o1;
		else if (o1 < 224) {
			if (!take_u8(c, &o2))
				return false;
			*len = ((o1 - 192) << 8) + o2 + 192;
		} else if (o1 == 255) {
			if (!take_be(c, 4, len))
				return false;
		} else
			return (*why = "partial packet lengths are not allowed"), false;
	} else {
		*tag = (b >> 2) & 0x0f;
		static const size_t bytes[] = { 1, 2, 4, 0 };
		if (!bytes[b & 3])
			return (*why = "indeterminate packet length"), false;
		if (!take_be(c, bytes[b & 3], len))
			return false;
	}
	return true;
}

/* Walks a subpacket area; calls back with each (type without the critical bit). */
static bool subpackets(const uint8_t *area, size_t len, bool hashed, const uint8_t **issuer_fpr,
		       const char **why)
{
	struct cursor c = { area, len };
	while (c.left) {
		uint32_t o1, o2, n, type;
		const uint8_t *data;
		*why = "malformed subpacket";
		if (!take_u8(&c, &o1))
			return false;
		if (o1 < 192)
			n = o1;
		else if (o1 < 255) {
			if (!take_u8(&c, &o2))
				return false;
			n = ((o1 - 192) << 8) + o2 + 192;
		} else if (!take_be(&c, 4, &n))
			return false;
		if (n == 0 || !take_u8(&c, &type) || !take(&c, n - 1, &data))
			return false;
		type &= 0x7f;
		if (hashed) {
			if (type == SUB_ISSUER_FPR && n - 1 == 21 && data[0] == 4)
				*issuer_fpr = data + 1;
			continue;
		}
		/* Unhashed: only the issuer, and it must agree with the hashed one. */
		if (type == SUB_ISSUER && n - 1 == 8) {
			if (*issuer_fpr && memcmp(data, *issuer_fpr + 12, 8) != 0)
				return (*why = "unhashed issuer key id differs from the signed issuer"), false;
		} else if (type == SUB_ISSUER_FPR && n - 1 == 21) {
			if (!*issuer_fpr || memcmp(data + 1, *issuer_fpr, 20) != 0 || data[0] != 4)
				return (*why = "unhashed issuer fingerprint differs from the signed issuer"), false;
		} else
			return (*why = "unhashed subpacket other than the issuer"), false;
	}
	return true;
}

static bool signature_body(const uint8_t *body, size_t len, const char **why)
{
	struct cursor c = { body, len };
	uint32_t version, hashed_len, unhashed_len, skip;
	const uint8_t *hashed, *unhashed, *left16, *issuer_fpr = NULL;
	*why = "truncated signature";
	if (!take_u8(&c, &version))
		return false;
	if (version != 4)
		return (*why = "not a version 4 signature"), false;
	if (!take_be(&c, 3, &skip) || !take_be(&c, 2, &hashed_len) || !take(&c, hashed_len, &hashed) ||
	    !subpackets(hashed, hashed_len, true, &issuer_fpr, why))
		return false;
	*why = "truncated signature";
	if (!take_be(&c, 2, &unhashed_len) || !take(&c, unhashed_len, &unhashed) ||
	    !subpackets(unhashed, unhashed_len, false, &issuer_fpr, why))
		return false;
	*why = "truncated signature";
	if (!take(&c, 2, &left16) || c.left == 0)
		return false;
	return true;
}

bool bundle_sig_check(const void *sig, size_t len, size_t *n_sigs, struct ferry_error **err)
{
	struct cursor c = { sig, len };
	size_t n = 0;
	while (c.left) {
		uint32_t tag, body_len;
		const uint8_t *body;
		const char *why = NULL;
		n++;
		if (!packet_header(&c, &tag, &body_len, &why))
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "signature %zu: %s", n, why);
		if (tag != TAG_SIGNATURE)
			return ferry_error_setc(err, FERRY_E_SIGNATURE,
						"signature %zu: packet of type %u, not a signature", n, tag);
		if (!take(&c, body_len, &body))
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "signature %zu: truncated", n);
		if (!signature_body(body, body_len, &why))
			return ferry_error_setc(err, FERRY_E_SIGNATURE, "signature %zu: %s", n, why);
	}
	if (n_sigs)
		*n_sigs = n;
	return true;
}
