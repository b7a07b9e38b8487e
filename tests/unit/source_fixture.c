/* source_fixture: see source_fixture.h. */
#include "source_fixture.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err)
{
	struct mem_source *s = ctx;
	if (s->hang_after && s->pos >= s->hang_after) {
		if (write(s->hang_fd, "x", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	size_t n = s->len - s->pos;
	if (n == 0 && s->fail_at_end)
		return ferry_error_set(err, "%s: sha256 mismatch at end of payload", s->src.name);
	if (n > cap)
		n = cap;
	if (s->piece && n > s->piece)
		n = s->piece;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	*got = n;
	return true;
}

static bool mem_borrow(void *ctx, struct iovec *runs, size_t max, size_t *n,
		       struct ferry_error **err)
{
	struct mem_source *s = ctx;
	*n = 0;
	for (size_t k = 0; k < max && k < MEM_SOURCE_RUNS && s->pos < s->len; k++) {
		size_t got = 0;
		if (!s->lent[k] && posix_memalign((void **)&s->lent[k], 4096, s->lend) != 0) {
			s->lent[k] = NULL;
			return ferry_error_set(err, "out of memory");
		}
		if (!mem_read(s, s->lent[k], s->lend, &got, err))
			return false;
		runs[(*n)++] = (struct iovec){ s->lent[k], got };
	}
	if (*n == 0) {   /* the end: as read says it (or fails there) */
		unsigned char none;
		size_t got = 0;
		return mem_read(s, &none, 0, &got, err);
	}
	return true;
}

void mem_source_lend(struct mem_source *s, size_t run)
{
	s->lend = run;
	s->src.borrow = mem_borrow;
}

void mem_source_free(struct mem_source *s)
{
	for (size_t k = 0; k < MEM_SOURCE_RUNS; k++) {
		free(s->lent[k]);
		s->lent[k] = NULL;
	}
}

void mem_source_init(struct mem_source *s, const void *data, size_t len, const char *name)
{
	memset(s, 0, sizeof *s);
	s->data = data;
	s->len = len;
	s->src.read = mem_read;
	s->src.ctx = s;
	s->src.name = name;
}

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "testutil.h"

void test_tar_build(const struct tar_member *m, unsigned char **out, size_t *len)
{
	size_t cap = 1024 * 1024;
	unsigned char *buf = calloc(1, cap);
	size_t used = 0;
	struct archive *a = archive_write_new();
	if (!buf || !a || archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_memory(a, buf, cap, &used) != ARCHIVE_OK)
		fail_msg("tar: %s", a ? archive_error_string(a) : "out of memory");
	for (; m->type; m++) {
		struct archive_entry *e = archive_entry_new();
		size_t size = m->data ? strlen(m->data) : 0;
		archive_entry_set_pathname(e, m->path);
		archive_entry_set_mtime(e, 1700000000, 0);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		unsigned mode = m->mode ? m->mode : (m->type == 'd' ? 0755 : 0644);
		switch (m->type) {
		case 'f': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_size(e, (la_int64_t)size); break;
		case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
		case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, m->link); break;
		case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, m->link); break;
		case 'c': archive_entry_set_filetype(e, AE_IFCHR); archive_entry_set_rdev(e, makedev(1, 3)); break;
		case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
		case 's':   /* sparse: data at offset 0, an apparent size of 1 TiB */
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, (la_int64_t)1 << 40);
			archive_entry_sparse_add_entry(e, 0, (la_int64_t)size);
			break;
		default: fail_msg("tar: unknown member type %c", m->type);
		}
		archive_entry_set_perm(e, mode);
		if (archive_write_header(a, e) != ARCHIVE_OK ||
		    ((m->type == 'f' || m->type == 's') && size && archive_write_data(a, m->data, size) != (la_ssize_t)size))
			fail_msg("tar: %s: %s", m->path, archive_error_string(a));
		archive_entry_free(e);
	}
	if (archive_write_close(a) != ARCHIVE_OK)
		fail_msg("tar: %s", archive_error_string(a));
	archive_write_free(a);
	*out = buf;
	*len = used;
}
