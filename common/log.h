/* log: levelled diagnostics for ferry's programs.
 * stderr by default, syslog when a daemon asks for it. Errors returned through
 * struct ferry_error are printed by main(), not logged here as well. */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* ident prefixes each line ("ferry-agent"); to_syslog sends lines to syslog(3). */
void log_init(const char *ident, enum log_level level, int to_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
