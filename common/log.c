/* log: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

static const char *log_ident = "ferry";
static enum log_level log_level = LOG_LEVEL_WARN;
static int log_syslog;
/* The last LOG_TAIL_MAX bytes of messages, for failure log excerpts. */
static char tail_ring[LOG_TAIL_MAX];
static size_t tail_start, tail_len;

static void tail_append(const char *s)
{
	for (; *s; s++) {
		tail_ring[(tail_start + tail_len) % LOG_TAIL_MAX] = *s;
		if (tail_len < LOG_TAIL_MAX)
			tail_len++;
		else
			tail_start = (tail_start + 1) % LOG_TAIL_MAX;
	}
}

size_t log_tail(char *out, size_t size)
{
	if (!size)
		return 0;
	size_t n = tail_len < size - 1 ? tail_len : size - 1;
	size_t from = tail_start + tail_len - n;
	for (size_t i = 0; i < n; i++)
		out[i] = tail_ring[(from + i) % LOG_TAIL_MAX];
	out[n] = '\0';
	return n;
}

void log_init(const char *ident, enum log_level level, int to_syslog)
{
	log_ident = ident ? ident : "ferry";
	log_level = level;
	log_syslog = to_syslog;
	if (to_syslog)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;
	if (level <= LOG_LEVEL_INFO) {   /* kept for failure logs even when not shown */
		char line[512];
		va_start(ap, fmt);
		int n = snprintf(line, sizeof line, "%s: ", names[level]);
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
		va_end(ap);
		tail_append(line);
		tail_append("\n");
	}
	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(priorities[level], fmt, ap);
	} else {
		fprintf(stderr, "%s: %s: ", log_ident, names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
