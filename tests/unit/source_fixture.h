/* source_fixture: byte_sources over memory for handler tests, optionally
 * handing out small pieces and failing at the end (as a bundle payload whose
 * whole-payload hash does not match). Linked into every unit test. */
#ifndef FERRY_SOURCE_FIXTURE_H
#define FERRY_SOURCE_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

#include "common/bytesource.h"

#define MEM_SOURCE_RUNS 4

struct mem_source {
	const unsigned char *data;
	size_t len, pos;
	size_t piece;          /* at most this many bytes per read (0: no limit) */
	bool fail_at_end;      /* return an error instead of the end of stream */
	size_t hang_after;     /* > 0: once this many bytes were handed out, write a
	                        * byte to hang_fd and hang (for SIGKILL tests) */
	int hang_fd;
	size_t lend;           /* > 0: src.borrow lends runs of this many bytes */
	unsigned char *lent[MEM_SOURCE_RUNS];
	struct byte_source src;
};

/* Sets up s->src over data (borrowed). */
void mem_source_init(struct mem_source *s, const void *data, size_t len, const char *name);
/* Offers borrow too: up to MEM_SOURCE_RUNS runs of at most run bytes (or
 * piece) per call, each in its own 4096-aligned buffer, as frames are lent;
 * mem_source_free releases them. */
void mem_source_lend(struct mem_source *s, size_t run);
void mem_source_free(struct mem_source *s);

/* One member of a tar built by test_tar_build. type: 'f' file, 'd' directory,
 * 'l' symlink (to link), 'h' hard link (to link), 'c' char device, 'p' FIFO. */
struct tar_member {
	char type;
	const char *path;
	unsigned mode;        /* permission bits (0: 0644 / 0755 for directories) */
	const char *data;     /* file contents */
	const char *link;
};
/* A pax tar of the members (the list ends with type 0), built with libarchive.
 * Caller frees *out. Fails the test on error. */
void test_tar_build(const struct tar_member *m, unsigned char **out, size_t *len);

#endif
