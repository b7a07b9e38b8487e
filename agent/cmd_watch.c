/* cmd_watch: `ferry-agent watch` — maps agent.json's media section onto the
 * watch loop (agent/watch.c), stops cleanly on SIGTERM/SIGINT after the stick
 * in hand, and plugs in the shared install path (agent/install.c), the audit
 * export and the media.refused audit record. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/autoreboot.h"
#include "agent/cmd.h"
#include "agent/install.h"
#include "agent/lifecycle.h"
#include "agent/state.h"
#include "agent/watch.h"
#include "common/log.h"

static int stop_pipe[2] = { -1, -1 };

static void on_stop(int sig)
{
	(void)sig;
	int saved = errno;
	(void)!write(stop_pipe[1], "x", 1);
	errno = saved;
}

/* The shared install path (agent/install.c), the same as `install MEDIA_DIR`;
 * its lines go to the journal, its summary to the technician. */
static enum notify_result process_stick(const char *mount_dir, const struct media_identity *id, void *ctx,
					char **summary, struct ferry_error **err)
{
	struct agent_ctx *actx = ctx;
	struct install_report report = { 0 };
	struct install_request rq = { .path = mount_dir, .media = id };
	if (!install_run(actx->config, &rq, &report, err)) {
		install_report_clear(&report);
		return NOTIFY_FAILURE;
	}
	for (char **l = report.lines; l && *l; l++)
		printf("%s: %s\n", id->devnode, *l);
	enum notify_result result = report.result;
	*summary = report.summary;
	report.summary = NULL;
	install_report_clear(&report);
	return result;
}

static bool export_audit(const char *mount_dir, const struct media_identity *id, void *ctx,
			 struct ferry_error **err)
{
	struct agent_ctx *actx = ctx;
	size_t n = 0;
	if (!install_export(actx->config, mount_dir, &n, err))
		return false;
	log_info("%s: %zu audit record(s) and the inventory exported", id->devnode, n);
	return true;
}

/* The "media.refused" audit record, with the stick's identity. */
static void audit_refused(const struct media_identity *id, const char *reason, void *ctx)
{
	struct agent_ctx *actx = ctx;
	struct state *st = NULL;
	struct ferry_error *e = NULL;
	json_t *detail = json_pack("{s:s, s:s, s:s, s:s}", "reason", reason, "vendor", id->vendor, "product",
				   id->product, "device", id->devnode);
	/* The one refusal of a stick before it is read: not on media.allow. */
	struct auditlog_fields ev = { .event = "media.refused", .result = "refused",
				  .code = ferry_code_name(FERRY_E_POLICY), .usb_serial = id->serial,
				  .media_label = id->label, .usb_vendor = id->vendor[0] ? id->vendor : NULL,
				  .usb_product = id->product[0] ? id->product : NULL, .detail = detail };
	if (!state_open_config(actx->config, &st, &e) || !state_record(st, &ev, NULL, &e))
		log_error("cannot audit the refused stick %s: %s", id->devnode, ferry_error_message(e));
	state_close(st);
	json_decref(detail);
	ferry_error_free(e);
}

/* reboot: auto — the stick is unmounted and may be pulled by now. */
static void reboot_if_pending(void *ctx)
{
	struct agent_ctx *actx = ctx;
	struct ferry_error *e = NULL;
	if (!autoreboot_if_pending(actx->config, &e))
		log_error("reboot: auto: %s", ferry_error_message(e));
	ferry_error_free(e);
}

static bool install_stop_handler(struct ferry_error **err)
{
	struct sigaction sa = { .sa_handler = on_stop };
	sigemptyset(&sa.sa_mask);
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return ferry_error_errno(err, errno, "pipe");
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return ferry_error_errno(err, errno, "sigaction");
	return true;
}

int cmd_watch(struct agent_ctx *ctx, int argc, char **argv, struct ferry_error **err)
{
	static const struct option options[] = {
		{ "source", required_argument, NULL, 's' }, { "max-sticks", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const struct agent_config *c = ctx->config;
	struct watch_config wc = { .mount_dir = c->media.mount_dir, .notify = c->media.notify, .stop_fd = -1,
				   .process = process_stick, .export_audit = export_audit,
				   .refused = audit_refused, .after_stick = reboot_if_pending, .ctx = ctx };
	struct watch_rule *rules = calloc(c->media.n_match + 1, sizeof(*rules));
	struct watch_allow *allow = calloc(c->media.n_allow + 1, sizeof(*allow));
	int opt, rc = CLI_EXIT_USAGE, lock = -1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:n:", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (strcmp(optarg, "udev") != 0 && strcmp(optarg, "kernel") != 0) {
				ferry_error_set(err, "watch: --source is udev or kernel, not '%s'", optarg);
				goto out;
			}
			wc.source = optarg;
			break;
		case 'n': wc.max_sticks = atoi(optarg); break;
		default:
			ferry_error_set(err, "usage: ferry-agent -c agent.json watch [--source udev|kernel] "
					     "[--max-sticks N]");
			goto out;
		}
	}
	rc = CLI_EXIT_FAILED;
	if (!rules || !allow) {
		ferry_error_set(err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->media.n_match; i++)
		rules[i] = (struct watch_rule){ c->media.match[i].key, c->media.match[i].value };
	for (size_t i = 0; i < c->media.n_allow; i++)
		allow[i] = (struct watch_allow){ c->media.allow[i].vendor, c->media.allow[i].product,
						 c->media.allow[i].serial };
	wc.match = rules;
	wc.n_match = c->media.n_match;
	wc.allow = allow;
	wc.n_allow = c->media.n_allow;
	if (!lifecycle_watch_lock(c, &lock, err) || !install_stop_handler(err))
		goto out;
	wc.stop_fd = stop_pipe[0];
	/* The console lines go to the journal as they happen. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = watch_run(&wc, err) ? CLI_EXIT_OK : CLI_EXIT_FAILED;
out:
	if (lock >= 0)
		close(lock);
	free(rules);
	free(allow);
	return rc;
}
