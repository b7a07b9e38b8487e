/* audit_chain_check: verifies that audit export files (or journal dumps, one
 * canonical line each) form ONE unbroken chain, for tests/integration/crash.sh.
 * The files are taken in the order given; together they must start at seq 1,
 * have consecutive seqs with no gap or repeat, and every prev must be the
 * sha256 of the line before (common/auditlog's auditlog_chain_verify).
 * usage: audit_chain_check DEVICE FILE...   prints "N records, seq 1-L" */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/auditlog.h"
#include "common/safefile.h"

#define MAX_FILE (64u * 1024 * 1024)

int main(int argc, char **argv)
{
	struct ferry_error *err = NULL;
	struct auditlog_chain all = { 0 }, ch;
	char prev[SHA256_HEX_LEN + 1] = "";
	if (argc < 3) {
		fprintf(stderr, "usage: audit_chain_check DEVICE FILE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		char *data = NULL;
		size_t len = 0;
		if (!read_file_limited(argv[i], MAX_FILE, &data, &len, &err) ||
		    !auditlog_chain_verify(data, len, argv[i], argv[1], *prev ? prev : NULL, &ch, &err)) {
			free(data);
			fprintf(stderr, "audit_chain_check: %s\n", ferry_error_message(err));
			ferry_error_free(err);
			return 1;
		}
		free(data);
		uint64_t want = i == 2 ? 1 : all.last_seq + 1;
		if (ch.first_seq != want) {
			fprintf(stderr, "audit_chain_check: %s: starts at seq %" PRIu64 ", expected %" PRIu64 "\n",
				argv[i], ch.first_seq, want);
			return 1;
		}
		if (i == 2)
			all.first_seq = ch.first_seq;
		all.last_seq = ch.last_seq;
		all.n += ch.n;
		snprintf(prev, sizeof(prev), "%s", ch.last_hash);
	}
	printf("%zu records, seq %" PRIu64 "-%" PRIu64 "\n", all.n, all.first_seq, all.last_seq);
	return 0;
}
