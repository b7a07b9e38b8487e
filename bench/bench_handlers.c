/* bench_handlers: the handlers against the machine doing the same work with
 * its own tools on the same bytes in the same run; prints both, their ratio
 * and the handler's peak RSS.
 *   rootfs [MIB (256)] [DIR]   rootfs-ab install (write the slot, fsync, drop
 *       the cache, read back, SHA-256) vs dd if=IMG of=REF bs=4M conv=fsync,
 *       then (cache dropped) openssl dgst -sha256 REF
 *   files TAR [DIR]            files install + activate + commit (secure
 *       extraction, checks, fsync of every file, rename swap) vs
 *       tar -xf TAR -C REF && sync -f REF
 * DIR defaults to $TMPDIR or /tmp. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/handler.h"
#include "common/log.h"
#include "common/safefile.h"
#include "common/sha256.h"

struct file_source {
	int fd;
	struct byte_source src;
};

static bool file_read(void *ctx, void *buf, size_t cap, size_t *got, struct ferry_error **err)
{
	struct file_source *f = ctx;
	return read_full(f->fd, buf, cap, got, f->src.name, err);
}

static bool make_image(const char *path, uint64_t bytes, struct ferry_error **err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return ferry_error_errno(err, 0, "%s: create", path);
	uint64_t x = 0x9e3779b97f4a7c15ull, buf[1 << 16];
	bool ok = true;
	for (uint64_t done = 0; ok && done < bytes; done += sizeof buf) {
		for (size_t i = 0; i < sizeof buf / sizeof buf[0]; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = x;
		}
		ok = write_all(fd, buf, sizeof buf, path, err);
	}
	close(fd);
	return ok;
}

static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

static double run_shell(const char *cmd)
{
	double t0 = handler_clock();
	if (system(cmd) != 0)
		fprintf(stderr, "warning: '%s' failed\n", cmd);
	return handler_clock() - t0;
}

static const char *base_dir(int argc, char **argv, int at)
{
	return argc > at ? argv[at] : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
}

static bool make_dir(const char *base, char *dir, size_t len)
{
	snprintf(dir, len, "%s/bench-handlers-XXXXXX", base);
	if (mkdtemp(dir))
		return true;
	perror("mkdtemp");
	return false;
}

static int bench_rootfs(int argc, char **argv)
{
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 10) : 256;
	char dir[4096], img[4200], slot[4200], ref[4200], cmd[9000];
	struct ferry_error *err = NULL;
	int rc = 1;
	if (!make_dir(base_dir(argc, argv, 3), dir, sizeof dir))
		return 1;
	snprintf(img, sizeof img, "%s/image", dir);
	snprintf(slot, sizeof slot, "%s/slot-b", dir);
	snprintf(ref, sizeof ref, "%s/ref", dir);
	uint64_t bytes = mib * 1024 * 1024;
	struct payload p = { .name = "rootfs.img", .handler = "rootfs-ab", .size = bytes };
	struct file_source fs = { .fd = -1 };
	if (!make_image(img, bytes, &err) || !sha256_file_hex(img, p.sha256, NULL, &err))
		goto out;
	if (truncate(img, (off_t)bytes) < 0 || (fs.fd = open(img, O_RDONLY | O_CLOEXEC)) < 0)
		goto out;
	int sfd = open(slot, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (sfd < 0 || ftruncate(sfd, (off_t)bytes) < 0)
		goto out;
	close(sfd);

	/* The machine's own tools: durable write, then read back and hash. */
	snprintf(cmd, sizeof cmd, "dd if=%s of=%s bs=4M conv=fsync status=none", img, ref);
	double t_dd = run_shell(cmd);
	drop_cache(ref);
	snprintf(cmd, sizeof cmd, "openssl dgst -sha256 %s >/dev/null", ref);
	double t_hash = run_shell(cmd);
	double t_ref = t_dd + t_hash;

	fs.src = (struct byte_source){ .read = file_read, .ctx = &fs, .name = img };
	struct handler_context ctx = { .slot_path = slot };
	struct handler_result res = { 0 };
	double t0 = handler_clock();
	if (!handler_rootfs_ab.install(&ctx, &p, &fs.src, &res, &err))
		goto out;
	double t_handler = handler_clock() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("rootfs-ab install of %llu MiB: %.2f s (%.0f MiB/s; read-back thread busy %.2f s of it, "
	       "overlapping the write)\n",
	       (unsigned long long)mib, t_handler, (double)mib / t_handler,
	       res.verify_seconds);
	printf("machine (dd conv=fsync + openssl dgst -sha256 after cache drop): %.2f s (%.0f MiB/s; "
	       "dd %.2f s, openssl %.2f s)\n", t_ref, (double)mib / t_ref, t_dd, t_hash);
	printf("ratio handler/machine: %.2f   peak RSS: %ld KiB\n", t_handler / t_ref, ru.ru_maxrss);
	handler_result_free(&res);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "bench rootfs: %s\n", err ? ferry_error_message(err) : "setup failed");
	ferry_error_free(err);
	if (fs.fd >= 0)
		close(fs.fd);
	remove_tree(dir, NULL);
	return rc;
}

static int bench_files(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_handlers files TAR [DIR]\n");
		return 2;
	}
	const char *tar = argv[2];
	char dir[4096], target[4200], ref[4200], work[4200], cmd[13000];
	struct ferry_error *err = NULL;
	int rc = 1;
	if (!make_dir(base_dir(argc, argv, 3), dir, sizeof dir))
		return 1;
	snprintf(target, sizeof target, "%s/app", dir);
	snprintf(ref, sizeof ref, "%s/ref", dir);
	snprintf(work, sizeof work, "%s/work", dir);
	struct file_source fs = { .fd = open(tar, O_RDONLY | O_CLOEXEC) };
	struct stat st;
	if (fs.fd < 0 || fstat(fs.fd, &st) < 0 || mkdir(target, 0755) < 0 || mkdir(ref, 0755) < 0) {
		perror(tar);
		goto out;
	}
	double mib = (double)st.st_size / 1048576.0;
	snprintf(cmd, sizeof cmd, "cat %s >/dev/null", tar);   /* same warm cache for both */
	run_shell(cmd);
	snprintf(cmd, sizeof cmd, "tar -xf %s -C %s && sync -f %s", tar, ref, ref);
	double t_ref = run_shell(cmd);

	struct payload p = { .name = "app.tar", .handler = "files", .size = (uint64_t)st.st_size };
	fs.src = (struct byte_source){ .read = file_read, .ctx = &fs, .name = tar };
	struct handler_context ctx = { .target_path = target, .work_dir = work };
	struct handler_result res = { 0 };
	double t0 = handler_clock();
	if (!handler_files.install(&ctx, &p, &fs.src, &res, &err) ||
	    !handler_files.activate(&ctx, &p, &res, &err) || !handler_files.commit(&ctx, &p, &res, &err))
		goto out;
	double t_handler = handler_clock() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("files install+activate+commit of %.0f MiB tar: %.2f s (%.0f MiB/s)\n", mib, t_handler,
	       mib / t_handler);
	printf("machine (tar -xf + sync -f): %.2f s (%.0f MiB/s)\n", t_ref, mib / t_ref);
	printf("ratio handler/machine: %.2f   peak RSS: %ld KiB\n", t_handler / t_ref, ru.ru_maxrss);
	handler_result_free(&res);
	rc = 0;
out:
	if (rc && err)
		fprintf(stderr, "bench files: %s\n", ferry_error_message(err));
	ferry_error_free(err);
	if (fs.fd >= 0)
		close(fs.fd);
	remove_tree(dir, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	log_init("bench", LOG_LEVEL_WARN, 0);
	if (argc > 1 && strcmp(argv[1], "rootfs") == 0)
		return bench_rootfs(argc, argv);
	if (argc > 1 && strcmp(argv[1], "files") == 0)
		return bench_files(argc, argv);
	fprintf(stderr, "usage: bench_handlers rootfs [MIB] [DIR] | files TAR [DIR]\n");
	return 2;
}
