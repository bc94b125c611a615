/* Cost tracking and resource profiles against a real e2b-local: per-sandbox accounting with
 * paused time kept apart, the price table (and bad input to it), JSON export, profiles applied
 * as the sandbox's cgroup limits. Usage: test_cost [path/to/e2b-local]. Needs root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2b.h"
#include "harness.h"

static e2b_client *new_client(void) {
    e2b_client_opts o = harness_client_opts();
    e2b_client *c = NULL;
    assert_int_equal(e2b_client_new(&c, &o), E2B_OK);
    return c;
}

static e2b_sandbox *create(e2b_client *c, const char *profile, int32_t cpu, int32_t mem) {
    e2b_sandbox_opts o = E2B_SANDBOX_OPTS_INIT;
    o.profile = profile;
    o.cpu_count = cpu;
    o.memory_mb = mem;
    e2b_sandbox *sb = NULL;
    assert_int_equal(e2b_sandbox_create(&sb, c, &o), E2B_OK);
    return sb;
}

static e2b_cost_totals totals(e2b_client *c) {
    e2b_cost_totals t;
    assert_int_equal(e2b_cost_get_totals(c, &t), E2B_OK);
    assert_int_equal(t.version, 1);
    return t;
}

static int near(double a, double b) { return a - b < 1e-9 * (1 + b) && b - a < 1e-9 * (1 + b); }

static void test_running_and_paused_time(void **state) {
    (void)state;
    e2b_client *c = new_client();
    e2b_sandbox *sb = create(c, NULL, 2, 1024);
    usleep(600000);
    assert_int_equal(e2b_sandbox_pause(sb), 1);
    usleep(400000);
    e2b_sandbox *again = NULL;
    assert_int_equal(e2b_sandbox_connect(&again, c, e2b_sandbox_id(sb), 0), E2B_OK);
    usleep(200000);
    assert_int_equal(e2b_sandbox_kill(again), E2B_OK);
    e2b_cost_totals t = totals(c);
    assert_int_equal(t.sandboxes, 1);
    /* ~0.8 s running (pause and resume take some time), ~0.4 s paused */
    assert_true(t.running_seconds >= 0.75 && t.running_seconds < 3.0);
    assert_true(t.paused_seconds >= 0.39 && t.paused_seconds < 2.0);
    assert_true(near(t.vcpu_seconds, 2 * t.running_seconds));
    assert_true(near(t.gib_seconds, 1.0 * t.running_seconds));
    assert_true(near(t.cost_usd, t.vcpu_seconds * 0.000014 + t.gib_seconds * 0.0000045));

    /* ended: totals no longer grow */
    usleep(200000);
    e2b_cost_totals t2 = totals(c);
    assert_true(near(t2.running_seconds, t.running_seconds));

    e2b_buf j = E2B_BUF_INIT;
    assert_int_equal(e2b_cost_export_json(&j, c), E2B_OK);
    assert_non_null(strstr(j.ptr, e2b_sandbox_id(sb)));
    assert_non_null(strstr(j.ptr, "\"vcpu\":2"));
    assert_non_null(strstr(j.ptr, "\"memory_mb\":1024"));
    assert_non_null(strstr(j.ptr, "\"state\":\"ended\""));
    assert_null(strstr(j.ptr, "\"ended_at\":null"));
    assert_non_null(strstr(j.ptr, "\"vcpu_second\":1.4e-05"));
    assert_non_null(strstr(j.ptr, "\"totals\":{\"sandboxes\":1"));
    e2b_buf_dispose(&j);
    e2b_sandbox_free(again);
    e2b_sandbox_free(sb);
    e2b_client_free(c);
}

static void test_prices(void **state) {
    (void)state;
    e2b_client *c = new_client();
    e2b_sandbox *sb = create(c, "light", 0, 0);
    usleep(300000);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);

    const char *bad[] = {"not json", "[1,2]", "{\"vcpu_second\":-1}", "{\"vcpu_second\":\"0.1\"}",
                         "{\"gpu_second\":1}", "{\"gib_second\":null}", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; ++i) {
        assert_int_equal(e2b_cost_set_prices(c, bad[i]), E2B_EINVAL);
        assert_true(strlen(e2b_error_last()->message) > 0);
    }
    assert_int_equal(e2b_cost_set_prices(c, NULL), E2B_EINVAL);
    e2b_cost_totals t = totals(c); /* prices unchanged by the failures */
    assert_true(near(t.cost_usd, t.vcpu_seconds * 0.000014 + t.gib_seconds * 0.0000045));
    assert_true(near(t.vcpu_seconds, t.running_seconds)); /* light = 1 vCPU */
    assert_true(near(t.gib_seconds, 0.5 * t.running_seconds));

    assert_int_equal(e2b_cost_set_prices(c, "{\"vcpu_second\": 1}"), E2B_OK);
    t = totals(c);
    assert_true(near(t.cost_usd, t.vcpu_seconds + t.gib_seconds * 0.0000045)); /* gib kept */
    assert_int_equal(e2b_cost_set_prices(c, "{\"vcpu_second\":0,\"gib_second\":2}"), E2B_OK);
    t = totals(c);
    assert_true(near(t.cost_usd, 2 * t.gib_seconds));
    e2b_sandbox_free(sb);
    e2b_client_free(c);
}

static void test_resources_read_back_and_running(void **state) {
    (void)state;
    e2b_client *c = new_client();
    e2b_sandbox *sb = create(c, NULL, 0, 0); /* the template's size: looked up in the background */
    int64_t end = harness_now_ms() + 5000;
    for (;;) {
        e2b_buf j = E2B_BUF_INIT;
        assert_int_equal(e2b_cost_export_json(&j, c), E2B_OK);
        int known = strstr(j.ptr, "\"vcpu\":0") == NULL;
        if (known) {
            assert_non_null(strstr(j.ptr, "\"state\":\"running\""));
            assert_non_null(strstr(j.ptr, "\"ended_at\":null"));
        }
        e2b_buf_dispose(&j);
        if (known) break;
        assert_true(harness_now_ms() < end);
        usleep(20000);
    }
    e2b_sandbox_info *info = NULL;
    assert_int_equal(e2b_sandbox_get_info(&info, c, e2b_sandbox_id(sb)), E2B_OK);
    double a = totals(c).vcpu_seconds;
    usleep(100000);
    e2b_cost_totals t = totals(c);
    assert_true(t.vcpu_seconds > a); /* running: grows */
    assert_true(near(t.vcpu_seconds, info->cpu_count * t.running_seconds));
    e2b_sandbox_info_free(info);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    e2b_sandbox_free(sb);
    assert_int_equal(e2b_cost_get_totals(NULL, &t), E2B_EINVAL);
    e2b_client_free(c);
}

static long read_long(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long v = -1;
    if (fscanf(f, "%ld", &v) != 1) v = -1;
    fclose(f);
    return v;
}

/* Conformance: e2b-local applies the requested resources as cgroup limits. */
static void test_profiles_cgroup_limits(void **state) {
    (void)state;
    e2b_profile p;
    assert_int_equal(e2b_profile_get(&p, "heavy"), E2B_OK);
    assert_int_equal(p.cpu_count, 4);
    assert_int_equal(p.memory_mb, 8192);
    assert_int_equal(p.timeout_ms, 3600000);
    assert_int_equal(e2b_profile_get(&p, "huge"), E2B_EINVAL);
    assert_non_null(strstr(e2b_error_last()->message, "medium"));

    e2b_client *c = new_client();
    e2b_sandbox *sb = create(c, "medium", 0, 300); /* explicit memory overrides the profile's */
    const char *id = e2b_sandbox_id(sb);
    e2b_sandbox_info *info = NULL;
    assert_int_equal(e2b_sandbox_get_info(&info, c, id), E2B_OK);
    assert_int_equal(info->cpu_count, 2);
    assert_int_equal(info->memory_mb, 300);
    /* medium's timeout: 30 min */
    assert_true(info->end_at_ms - info->started_at_ms > 1700000);
    e2b_sandbox_info_free(info);

    char path[512];
    snprintf(path, sizeof path, "/sys/fs/cgroup/memory/e2b-local/%s/memory.limit_in_bytes", id);
    long mem = read_long(path);
    if (mem < 0) { /* cgroup v2 host */
        snprintf(path, sizeof path, "/sys/fs/cgroup/e2b-local/%s/memory.max", id);
        mem = read_long(path);
    }
    assert_int_equal(mem, 300L << 20);
    snprintf(path, sizeof path, "/sys/fs/cgroup/cpu/e2b-local/%s/cpu.cfs_quota_us", id);
    long quota = read_long(path);
    snprintf(path, sizeof path, "/sys/fs/cgroup/cpu/e2b-local/%s/cpu.cfs_period_us", id);
    long period = read_long(path);
    if (quota >= 0) assert_int_equal(quota, 2 * period);

    /* and from inside: 100 MiB fits, 600 MiB goes past the 300 MiB limit and is killed */
    e2b_exec_output out = E2B_EXEC_OUTPUT_INIT;
    assert_int_equal(e2b_exec_run(&out, sb,
                                  "command -v python3 >/dev/null || { echo no-python; exit 0; }; "
                                  "python3 -c 'print(len(bytearray(100 << 20)))' && "
                                  "{ python3 -c 'print(len(bytearray(600 << 20)))' 2>/dev/null || echo oom; }",
                                  NULL),
                     E2B_OK);
    if (strcmp(out.out.ptr, "no-python\n") != 0) assert_string_equal(out.out.ptr, "104857600\noom\n");
    e2b_exec_output_dispose(&out);
    assert_int_equal(e2b_sandbox_kill(sb), E2B_OK);
    e2b_sandbox_free(sb);

    /* bad resource input is refused before any request */
    e2b_sandbox_opts o = E2B_SANDBOX_OPTS_INIT;
    e2b_sandbox *none = NULL;
    o.cpu_count = 65;
    assert_int_equal(e2b_sandbox_create(&none, c, &o), E2B_EINVAL);
    o.cpu_count = 0;
    o.memory_mb = 16;
    assert_int_equal(e2b_sandbox_create(&none, c, &o), E2B_EINVAL);
    o.memory_mb = 0;
    o.profile = "unknown";
    assert_int_equal(e2b_sandbox_create(&none, c, &o), E2B_EINVAL);
    /* version 1 callers: no resource fields read */
    o.version = 1;
    assert_int_equal(e2b_sandbox_create(&none, c, &o), E2B_OK);
    assert_int_equal(e2b_sandbox_kill(none), E2B_OK);
    e2b_sandbox_free(none);
    e2b_client_free(c);
}

int main(int argc, char **argv) {
    int begun = harness_begin(argc, argv, "test_cost");
    if (begun != 0) return begun > 0 ? 0 : 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_and_paused_time),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_resources_read_back_and_running),
        cmocka_unit_test(test_profiles_cgroup_limits),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_server_stop();
    return rc;
}
