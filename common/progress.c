/* progress: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

/* Columns of the terminal on stderr; 80 when it does not say. */
static int terminal_columns(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void fill_bar(char *bar, int width, uint64_t done, uint64_t total)
{
	int fill = (int)(done * (uint64_t)width / total);
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(width - fill));
	bar[width] = 0;
}

size_t progress_line(char *out, size_t cap, int columns, const char *label, uint64_t done,
		     uint64_t total, double mib_per_s)
{
	char right[96], bar[PROGRESS_BAR_MAX + 1];
	uint64_t t = total ? total : 1, d = done > t ? t : done;
	int pct = (int)(d * 100 / t);
	double mdone = (double)done / (1 << 20), mtotal = (double)total / (1 << 20);
	int room = columns - 1; /* the last column would wrap on some terminals */
	int rn = snprintf(right, sizeof(right), " %3d%% %.1f/%.1f MiB %.0f MiB/s", pct, mdone, mtotal,
			  mib_per_s);
	if (rn > room - 20)
		rn = snprintf(right, sizeof(right), " %3d%% %.1f/%.1f MiB", pct, mdone, mtotal);
	if (rn > room - 12)
		rn = snprintf(right, sizeof(right), " %3d%%", pct);
	int label_w = (int)strlen(label);
	if (label_w > 24)
		label_w = 24;
	if (label_w > room - rn - 8)
		label_w = room - rn - 8 > 0 ? room - rn - 8 : 0;
	int bar_w = room - rn - label_w - 3;
	if (bar_w > PROGRESS_BAR_MAX)
		bar_w = PROGRESS_BAR_MAX;
	if (bar_w < 1) /* a terminal too narrow for any bar: the percentage alone */
		return (size_t)snprintf(out, cap, "%.*s", room > 0 ? room : 0, right + 1);
	fill_bar(bar, bar_w, d, t);
	return (size_t)snprintf(out, cap, "%-*.*s [%s]%s", label_w, label_w, label, bar, right);
}

static void draw(struct progress *p, double t)
{
	char line[512];
	double secs = t - p->start;
	double rate = secs > 0 ? (double)p->done / secs / (1 << 20) : 0;
	progress_line(line, sizeof(line), terminal_columns(), p->label, p->done, p->total, rate);
	/* \r and erase to the end: a shorter line leaves nothing of the last one */
	fprintf(stderr, "\r%s\033[K", line);
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
