/* log: see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static const char *log_ident = "ferry";
static enum log_level log_level = LOG_LEVEL_WARN;
static int log_syslog;

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
	if (level > log_level)
		return;
	va_list ap;
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
