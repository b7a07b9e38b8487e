/* progress: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct progress {
	char label[48];
	uint64_t total, done;
	bool enabled, drawn;
	double start, last;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool progress_wanted(void)
{
	return isatty(STDERR_FILENO) == 1;
}

struct progress *progress_new(const char *label, uint64_t total, bool enabled)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	progress_set_label(p, label);
	p->total = total;
	p->enabled = enabled;
	p->start = p->last = now();
	return p;
}

void progress_set_label(struct progress *p, const char *label)
{
	if (p)
		snprintf(p->label, sizeof(p->label), "%s", label);
}

static void draw(struct progress *p, double t)
{
	const int width = 30;
	uint64_t total = p->total ? p->total : 1;
	uint64_t done = p->done > total ? total : p->done;
	int fill = (int)(done * width / total);
	char bar[32];
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(width - fill));
	bar[width] = 0;
	double secs = t - p->start;
	double rate = secs > 0 ? (double)p->done / secs / (1 << 20) : 0;
	fprintf(stderr, "\r%-24.24s [%s] %3d%% %7.1f/%.1f MiB %6.0f MiB/s", p->label, bar,
		(int)(done * 100 / total), (double)p->done / (1 << 20), (double)p->total / (1 << 20),
		rate);
	fflush(stderr);
	p->drawn = true;
}

void progress_update(struct progress *p, uint64_t done)
{
	if (!p || !p->enabled)
		return;
	p->done = done;
	double t = now();
	if (t - p->last < 0.1)
		return;
	p->last = t;
	draw(p, t);
}

void progress_finish(struct progress *p)
{
	if (!p)
		return;
	if (p->enabled && p->drawn) {
		p->done = p->total;
		draw(p, now());
		fputc('\n', stderr);
	}
	free(p);
}
