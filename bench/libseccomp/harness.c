/*
 * harness.c compiles a seccomp profile with libseccomp, for
 * BenchmarkAllowedSyscall (bench/allowed_test.go), which builds it at run
 * time: gcc -O2 -o harness harness.c -lseccomp.
 *
 *   harness export RULES       writes to stdout the BPF program libseccomp
 *                              compiles from RULES (seccomp_export_bpf)
 *   harness time CALLS NR ARG [RULES]
 *                              loads RULES with seccomp_load (none without
 *                              RULES), checks that syscall NR with first
 *                              argument ARG succeeds, times CALLS calls of
 *                              it in 20 blocks and prints "<ns per call in
 *                              the median block> <Seccomp_filters>"
 *
 * RULES is the profile as the Go benchmark resolved it, one line each:
 *
 *   default ACTION ERRNO
 *   arch NAME                                  (libseccomp's name: x86_64)
 *   rule SYSCALL ACTION ERRNO [INDEX OP VALUE VALUETWO]...
 *
 * ACTION is ALLOW, ERRNO, KILL_PROCESS, KILL_THREAD, TRAP or LOG; OP is
 * NE, LT, LE, EQ, GE, GT or MASKED_EQ. The comparisons of a rule are ANDed.
 * Syscalls libseccomp does not know are skipped and counted on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WARMUP_CALLS 100000
#define TIME_BLOCKS 20

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "harness: %s: %s\n", what, detail);
	exit(1);
}

static uint32_t action(const char *name, const char *errno_ret)
{
	if (strcmp(name, "ALLOW") == 0)
		return SCMP_ACT_ALLOW;
	if (strcmp(name, "ERRNO") == 0)
		return SCMP_ACT_ERRNO((uint16_t)strtoul(errno_ret, NULL, 10));
	if (strcmp(name, "KILL_PROCESS") == 0)
		return SCMP_ACT_KILL_PROCESS;
	if (strcmp(name, "KILL_THREAD") == 0 || strcmp(name, "KILL") == 0)
		return SCMP_ACT_KILL_THREAD;
	if (strcmp(name, "TRAP") == 0)
		return SCMP_ACT_TRAP;
	if (strcmp(name, "LOG") == 0)
		return SCMP_ACT_LOG;
	die("unknown action", name);
	return 0;
}

static enum scmp_compare compare(const char *name)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{"NE", SCMP_CMP_NE}, {"LT", SCMP_CMP_LT}, {"LE", SCMP_CMP_LE},
		{"EQ", SCMP_CMP_EQ}, {"GE", SCMP_CMP_GE}, {"GT", SCMP_CMP_GT},
		{"MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(name, ops[i].name) == 0)
			return ops[i].op;
	die("unknown comparison", name);
	return 0;
}

/* next returns the next space-separated field of the line, or dies. */
static char *next(char **save, const char *line)
{
	char *f = strtok_r(NULL, " \n", save);
	if (f == NULL)
		die("short line", line);
	return f;
}

static scmp_filter_ctx load_rules(const char *path)
{
	FILE *in = fopen(path, "r");
	if (in == NULL)
		die(path, strerror(errno));
	char line[4096], copy[4096], *save;
	scmp_filter_ctx ctx = NULL;
	int unknown = 0, rc;
	while (fgets(line, sizeof(line), in) != NULL) {
		memcpy(copy, line, sizeof(line));
		char *kind = strtok_r(line, " \n", &save);
		if (kind == NULL)
			continue;
		if (strcmp(kind, "default") == 0) {
			char *act = next(&save, copy);
			ctx = seccomp_init(action(act, next(&save, copy)));
			if (ctx == NULL)
				die("seccomp_init", copy);
			continue;
		}
		if (ctx == NULL)
			die("the first line must be the default action", copy);
		if (strcmp(kind, "arch") == 0) {
			uint32_t arch = seccomp_arch_resolve_name(next(&save, copy));
			if (arch == 0)
				die("unknown architecture", copy);
			rc = seccomp_arch_add(ctx, arch);
			if (rc != 0 && rc != -EEXIST)
				die("seccomp_arch_add", strerror(-rc));
			continue;
		}
		if (strcmp(kind, "rule") != 0)
			die("unknown line", copy);
		int nr = seccomp_syscall_resolve_name(next(&save, copy));
		char *act = next(&save, copy);
		uint32_t a = action(act, next(&save, copy));
		if (nr == __NR_SCMP_ERROR) {
			unknown++;
			continue;
		}
		struct scmp_arg_cmp args[6];
		unsigned int n = 0;
		char *f;
		while ((f = strtok_r(NULL, " \n", &save)) != NULL) {
			if (n == 6)
				die("more than 6 comparisons", copy);
			args[n].arg = (unsigned int)strtoul(f, NULL, 10);
			args[n].op = compare(next(&save, copy));
			args[n].datum_a = strtoull(next(&save, copy), NULL, 10);
			args[n].datum_b = strtoull(next(&save, copy), NULL, 10);
			n++;
		}
		rc = seccomp_rule_add_array(ctx, a, nr, n, args);
		if (rc != 0)
			die("seccomp_rule_add", copy);
	}
	fclose(in);
	if (ctx == NULL)
		die(path, "no default action");
	if (unknown > 0)
		fprintf(stderr, "harness: %d rules skipped: syscall unknown to libseccomp %u.%u.%u\n", unknown,
			seccomp_version()->major, seccomp_version()->minor, seccomp_version()->micro);
	return ctx;
}

/* filters returns Seccomp_filters from /proc/self/status, or -1. */
static int filters(void)
{
	FILE *in = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	if (in == NULL)
		return -1;
	while (fgets(line, sizeof(line), in) != NULL)
		if (sscanf(line, "Seccomp_filters: %d", &n) == 1)
			break;
	fclose(in);
	return n;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "export") == 0) {
		scmp_filter_ctx ctx = load_rules(argv[2]);
		int rc = seccomp_export_bpf(ctx, STDOUT_FILENO);
		if (rc != 0)
			die("seccomp_export_bpf", strerror(-rc));
		seccomp_release(ctx);
		return 0;
	}
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "time") == 0) {
		long calls = strtol(argv[2], NULL, 10);
		long nr = strtol(argv[3], NULL, 10);
		unsigned long arg = strtoul(argv[4], NULL, 10);
		if (calls <= 0)
			die("not a number of calls", argv[2]);
		if (argc == 6) {
			scmp_filter_ctx ctx = load_rules(argv[5]);
			int rc = seccomp_load(ctx);
			if (rc != 0)
				die("seccomp_load", strerror(-rc));
			seccomp_release(ctx);
		}
		/* A denied call (EPERM) would time the wrong path. */
		if (syscall(nr, arg) == -1)
			die(argv[3], strerror(errno));
		for (long i = 0; i < WARMUP_CALLS; i++)
			syscall(nr, arg);
		long blocks = calls < TIME_BLOCKS ? calls : TIME_BLOCKS, per = calls / blocks;
		double took[TIME_BLOCKS];
		for (long b = 0; b < blocks; b++) {
			double start = now_ns();
			for (long i = 0; i < per; i++)
				syscall(nr, arg);
			took[b] = now_ns() - start;
		}
		qsort(took, (size_t)blocks, sizeof(took[0]), by_value);
		double mid = blocks % 2 ? took[blocks / 2] : (took[blocks / 2 - 1] + took[blocks / 2]) / 2;
		printf("%.3f %d\n", mid / (double)per, filters());
		return 0;
	}
	fprintf(stderr, "usage: harness export RULES | harness time CALLS NR ARG [RULES]\n");
	return 2;
}
