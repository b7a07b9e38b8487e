/* source_fixture: see source_fixture.h. */
#include "source_fixture.h"

#include <string.h>

static bool mem_read(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err)
{
	struct mem_source *s = ctx;
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

void mem_source_init(struct mem_source *s, const void *data, size_t len, const char *name)
{
	memset(s, 0, sizeof *s);
	s->data = data;
	s->len = len;
	s->src.read = mem_read;
	s->src.ctx = s;
	s->src.name = name;
}
