/* Prints the layout of every struct of e2b.h that e2b-sys declares, and the values of the
 * constants it mirrors, one "kind name value" line each; tests/layout.rs compares them with
 * size_of/align_of/offset_of of the Rust declarations. Compiled by that test against the header. */
#include <stddef.h>
#include <stdio.h>

#include "e2b.h"

#define S(t) printf("size %s %zu\nalign %s %zu\n", #t, sizeof(t), #t, _Alignof(t))
#define F(t, f) printf("offset %s.%s %zu\n", #t, #f, offsetof(t, f))
#define C(n) printf("const %s %lld\n", #n, (long long)(n))

int main(void) {
    S(e2b_error); F(e2b_error, code); F(e2b_error, http_status); F(e2b_error, message);
    S(e2b_buf); F(e2b_buf, ptr); F(e2b_buf, size); F(e2b_buf, reserved);
    S(e2b_client_opts); F(e2b_client_opts, version); F(e2b_client_opts, api_key);
    F(e2b_client_opts, domain); F(e2b_client_opts, api_url); F(e2b_client_opts, sandbox_url);
    F(e2b_client_opts, request_timeout_ms); F(e2b_client_opts, proxy);
    F(e2b_client_opts, user_agent); F(e2b_client_opts, max_attempts); F(e2b_client_opts, flags);
    F(e2b_client_opts, delivery);
    S(e2b_sandbox_opts); F(e2b_sandbox_opts, version); F(e2b_sandbox_opts, template_id);
    F(e2b_sandbox_opts, timeout_ms); F(e2b_sandbox_opts, metadata); F(e2b_sandbox_opts, envs);
    F(e2b_sandbox_opts, flags);
    S(e2b_sandbox_info); F(e2b_sandbox_info, version); F(e2b_sandbox_info, sandbox_id);
    F(e2b_sandbox_info, template_id); F(e2b_sandbox_info, alias); F(e2b_sandbox_info, state);
    F(e2b_sandbox_info, envd_version); F(e2b_sandbox_info, started_at_ms);
    F(e2b_sandbox_info, end_at_ms); F(e2b_sandbox_info, cpu_count); F(e2b_sandbox_info, memory_mb);
    F(e2b_sandbox_info, disk_size_mb); F(e2b_sandbox_info, metadata_count);
    F(e2b_sandbox_info, metadata_keys); F(e2b_sandbox_info, metadata_values);
    S(e2b_list_opts); F(e2b_list_opts, version); F(e2b_list_opts, states);
    F(e2b_list_opts, metadata); F(e2b_list_opts, limit); F(e2b_list_opts, next_token);
    S(e2b_exec_opts); F(e2b_exec_opts, version); F(e2b_exec_opts, cwd); F(e2b_exec_opts, envs);
    F(e2b_exec_opts, user); F(e2b_exec_opts, timeout_ms); F(e2b_exec_opts, tag);
    F(e2b_exec_opts, flags);
    S(e2b_exec_callbacks); F(e2b_exec_callbacks, version); F(e2b_exec_callbacks, on_stdout);
    F(e2b_exec_callbacks, on_stderr); F(e2b_exec_callbacks, on_exit); F(e2b_exec_callbacks, payload);
    S(e2b_exec_output); F(e2b_exec_output, out); F(e2b_exec_output, err);
    F(e2b_exec_output, exit_code); F(e2b_exec_output, error);
    S(e2b_process_info); F(e2b_process_info, version); F(e2b_process_info, pid);
    F(e2b_process_info, cmd); F(e2b_process_info, arg_count); F(e2b_process_info, args);
    F(e2b_process_info, tag);
    S(e2b_files_opts); F(e2b_files_opts, version); F(e2b_files_opts, user);
    F(e2b_files_opts, timeout_ms);
    S(e2b_file_entry); F(e2b_file_entry, path); F(e2b_file_entry, data); F(e2b_file_entry, len);
    S(e2b_entry_info); F(e2b_entry_info, version); F(e2b_entry_info, type); F(e2b_entry_info, name);
    F(e2b_entry_info, path); F(e2b_entry_info, size); F(e2b_entry_info, mode);
    F(e2b_entry_info, permissions); F(e2b_entry_info, owner); F(e2b_entry_info, group);
    F(e2b_entry_info, modified_time_ns); F(e2b_entry_info, symlink_target);
    S(e2b_fs_event); F(e2b_fs_event, version); F(e2b_fs_event, type); F(e2b_fs_event, name);
    S(e2b_sandbox_metric); F(e2b_sandbox_metric, version); F(e2b_sandbox_metric, cpu_count);
    F(e2b_sandbox_metric, timestamp_ms); F(e2b_sandbox_metric, cpu_used_pct);
    F(e2b_sandbox_metric, mem_used_bytes); F(e2b_sandbox_metric, mem_total_bytes);
    F(e2b_sandbox_metric, disk_used_bytes); F(e2b_sandbox_metric, disk_total_bytes);
    S(e2b_logs_opts); F(e2b_logs_opts, version); F(e2b_logs_opts, cursor_ms);
    F(e2b_logs_opts, limit); F(e2b_logs_opts, flags); F(e2b_logs_opts, min_level);
    F(e2b_logs_opts, search);
    S(e2b_sandbox_log_entry); F(e2b_sandbox_log_entry, version);
    F(e2b_sandbox_log_entry, timestamp_ms); F(e2b_sandbox_log_entry, level);
    F(e2b_sandbox_log_entry, message); F(e2b_sandbox_log_entry, field_count);
    F(e2b_sandbox_log_entry, field_keys); F(e2b_sandbox_log_entry, field_values);

    C(E2B_LOGS_F_BACKWARD); C(E2B_LOGS_OPTS_VERSION);
    C(E2B_ABI_VERSION);
    C(E2B_OK); C(E2B_ERROR); C(E2B_EINVAL); C(E2B_EVERSION); C(E2B_ENOTFOUND); C(E2B_ETIMEOUT);
    C(E2B_EAUTH); C(E2B_ERATELIMIT); C(E2B_ENOSPACE); C(E2B_ECANCELED); C(E2B_EUSER);
    C(E2B_EMISUSE); C(E2B_ESANDBOX_NOT_FOUND); C(E2B_EFILE_NOT_FOUND); C(E2B_ECOMMAND_EXIT);
    C(E2B_ETEMPLATE); C(E2B_ENETWORK); C(E2B_EPROTOCOL); C(E2B_ENOMEM);
    C(E2B_CLIENT_F_NO_ENV); C(E2B_CLIENT_OPTS_VERSION); C(E2B_DELIVERY_SERVICE_THREAD);
    C(E2B_DELIVERY_QUEUED); C(E2B_SANDBOX_F_INSECURE); C(E2B_SANDBOX_F_NO_INTERNET);
    C(E2B_SANDBOX_F_AUTO_PAUSE); C(E2B_SANDBOX_OPTS_VERSION); C(E2B_LIST_RUNNING);
    C(E2B_LIST_PAUSED); C(E2B_LIST_OPTS_VERSION); C(E2B_EXEC_F_STDIN); C(E2B_EXEC_OPTS_VERSION);
    C(E2B_EXEC_CALLBACKS_VERSION); C(E2B_FILES_OPTS_VERSION); C(E2B_FILE_TYPE_FILE);
    C(E2B_FILE_TYPE_DIR); C(E2B_FILE_TYPE_SYMLINK); C(E2B_WATCH_F_RECURSIVE);
    C(E2B_FS_EVENT_CREATE); C(E2B_FS_EVENT_WRITE); C(E2B_FS_EVENT_REMOVE);
    C(E2B_FS_EVENT_RENAME); C(E2B_FS_EVENT_CHMOD);
    return 0;
}
