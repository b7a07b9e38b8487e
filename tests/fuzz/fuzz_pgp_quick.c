/* fuzz_pgp_quick: the in-process signature check's two parsers of stick and
 * keyring bytes (common/pgp_quick.c): the input as a detached signature over
 * "fuzz" checked against a real ed25519 key, and as a keyring export that a
 * real signature is checked against. Only the real pair may be valid (its
 * MPIs' unsigned bit counts aside, as in gpg). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/pgp_quick.h"
#include "tests/fuzz/fuzz.h"

/* gpg --export of an ed25519 key (its public key packet) and gpg's detached
 * signature by it over "fuzz". */
static const unsigned char key_packet[] = { 0x98, 0x33, 0x04, 0x6b, 0x15, 0x1e, 0xa3, 0x16, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01, 0x01, 0x07, 0x40, 0x39, 0xe7, 0xaa, 0x7f, 0xc8, 0x75, 0x3c, 0xda, 0xcb, 0x5a, 0x92, 0x46, 0x85, 0x36, 0x66, 0x74, 0x66, 0x5a, 0x9b, 0xda, 0x05, 0x3b, 0x5d, 0xf1, 0xa5, 0x49, 0x18, 0x1a, 0x25, 0x53, 0x7d, 0x09 };
static const unsigned char good_sig[] = { 0x88, 0x75, 0x04, 0x00, 0x16, 0x08, 0x00, 0x1d, 0x16, 0x21, 0x04, 0xff, 0x54, 0xc2, 0x79, 0x1b, 0x83, 0xae, 0x20, 0xb7, 0xb7, 0x05, 0x05, 0x99, 0xa9, 0x63, 0x50, 0x71, 0x54, 0xbe, 0xbd, 0x05, 0x02, 0x6b, 0x15, 0x1e, 0xa3, 0x00, 0x0a, 0x09, 0x10, 0x99, 0xa9, 0x63, 0x50, 0x71, 0x54, 0xbe, 0xbd, 0x29, 0xf9, 0x01, 0x00, 0xf1, 0xd2, 0xd7, 0x3c, 0xc0, 0xea, 0x1d, 0xb2, 0x5e, 0xb4, 0x79, 0x33, 0x40, 0x17, 0x78, 0xda, 0x28, 0x5d, 0xd3, 0xb5, 0x1d, 0x86, 0x67, 0x04, 0xb3, 0x03, 0x07, 0x8b, 0xef, 0x2c, 0x7c, 0xf7, 0x00, 0xfe, 0x26, 0x54, 0x9e, 0x20, 0x57, 0x7f, 0x64, 0x2d, 0x24, 0xca, 0xf8, 0x9b, 0x62, 0x53, 0x37, 0xd3, 0x62, 0x3c, 0x29, 0xb0, 0xca, 0x06, 0x66, 0x25, 0x7b, 0xd1, 0xa3, 0x44, 0x96, 0x85, 0x46, 0x02 };
static const struct pgp_quick_key key = {
	.fpr = "FF54C2791B83AE20B7B7050599A963507154BEBD", .created = 1796546211, .expires = 0,
};
static const char data[] = "fuzz";

/* The MPI headers' bit counts of r (at 51) and s (at 85) are not signed, and
 * gpg takes any count of the same byte length (32: 249–256 bits), so the
 * same signature with other counts is the real one too (a 600 s run found
 * that; `gpg --verify` says "Good signature" for such a file). */
static bool same_signature(const uint8_t *in, size_t size)
{
	static const size_t mpi[] = { 51, 85 };
	if (size != sizeof(good_sig))
		return false;
	for (size_t i = 0; i < size; i++) {
		bool header = i == mpi[0] || i == mpi[0] + 1 || i == mpi[1] || i == mpi[1] + 1;
		if (!header && in[i] != good_sig[i])
			return false;
	}
	for (size_t m = 0; m < 2; m++) {
		unsigned bits = (unsigned)in[mpi[m]] << 8 | in[mpi[m] + 1];
		if (bits < 249 || bits > 256)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	struct pgp_quick *q = NULL;
	bool real_sig = same_signature(in, size);
	if (!pgp_quick_build(&key, 1, key_packet, sizeof(key_packet), &q, NULL))
		abort();
	/* the real key takes the real signature and nothing else (on a clock
	 * before the signature was made, nothing: GPGME would decide) */
	bool made = time(NULL) >= key.created;
	if (pgp_quick_valid_by(q, key.fpr, data, 4, good_sig, sizeof(good_sig)) != made ||
	    pgp_quick_valid_by(q, key.fpr, data, 4, in, size) != (real_sig && made))
		abort();
	pgp_quick_free(q);
	if (!pgp_quick_build(&key, 1, in, size, &q, NULL))
		abort();
	pgp_quick_valid_by(q, key.fpr, data, 4, good_sig, sizeof(good_sig));
	pgp_quick_free(q);
	return 0;
}
