/* bench_journal: the audit journal's append rate (one SQLite transaction per
 * record, WAL, synchronous=FULL) against the machine's own durable-write rate
 * on the same filesystem in the same run (256-byte write + fdatasync, the
 * least any durable append needs); prints both and their ratio.
 *   bench_journal [N (500)] [DIR ($TMPDIR or /tmp)] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/state.h"
#include "common/safefile.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Durable small appends per second: the floor for any crash-safe journal. */
static double fsync_rate(const char *dir, int n)
{
	char path[4096], block[256];
	memset(block, 'x', sizeof(block));
	snprintf(path, sizeof(path), "%s/fsync.bin", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	if (fd < 0)
		return 0;
	double t0 = now();
	for (int i = 0; i < n; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) || fdatasync(fd) < 0)
			break;
	double t = now() - t0;
	close(fd);
	unlink(path);
	return n / t;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500;
	const char *base = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char dir[4096];
	struct state *s = NULL;
	struct ferry_error *err = NULL;
	snprintf(dir, sizeof(dir), "%s/bench-journal.XXXXXX", base);
	if (n <= 0 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_journal [N] [DIR]\n");
		return 2;
	}
	int rc = 1;
	if (!state_open(dir, "bench-0001", NULL, 0, &s, &err))
		goto out;
	json_t *detail = json_pack("{s:s, s:i}", "reason", "benchmark record of a typical size", "n", 0);
	struct auditlog_fields ev = { .event = "install.finished", .bundle = "gateway-os",
				  .version = "2.4.1", .result = "success", .detail = detail };
	double t0 = now();
	for (int i = 0; i < n; i++)
		if (!state_record(s, &ev, NULL, &err))
			break;
	double journal = n / (now() - t0);
	json_decref(detail);
	if (err)
		goto out;
	double floor = fsync_rate(dir, n);
	printf("journal appends: %.0f records/s (1 transaction each, WAL, synchronous=FULL)\n", journal);
	printf("write+fdatasync: %.0f /s (same filesystem, same run)\n", floor);
	printf("ratio: %.2f of the machine's durable-append rate\n", floor > 0 ? journal / floor : 0);
	rc = 0;
out:
	if (err)
		fprintf(stderr, "bench_journal: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	state_close(s);
	remove_tree(dir, NULL);
	return rc;
}
