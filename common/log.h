/* log: levelled diagnostics for ferry's programs.
 * stderr by default, syslog when a daemon asks for it. Errors returned through
 * struct ferry_error are printed by main(), not logged here as well. */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident prefixes each line ("ferry-agent"); to_syslog sends lines to syslog(3). */
void log_init(const char *ident, enum log_level level, int to_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* The agent's own log tail: the last LOG_TAIL_MAX bytes of error, warning
 * and info messages (whatever the level shown), copied NUL-terminated into
 * out; returns the bytes copied. */
#define LOG_TAIL_MAX 8192
size_t log_tail(char *out, size_t size);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
