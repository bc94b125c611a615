/* Prints the size and field offsets (declaration order) of the structs the Go binding mirrors,
 * one struct per line: "name size off0 off1 ...". layout_test.go compares them with Go's. */
#include <stddef.h>
#include <stdio.h>
#include "e2b.h"

#define S(T) printf("\n%s %zu", #T, sizeof(T))
#define F(T, f) printf(" %zu", offsetof(T, f))

int main(void) {
    S(e2b_error); F(e2b_error, code); F(e2b_error, http_status); F(e2b_error, message);
    S(e2b_buf); F(e2b_buf, ptr); F(e2b_buf, size); F(e2b_buf, reserved);
    S(e2b_client_opts); F(e2b_client_opts, version); F(e2b_client_opts, api_key);
    F(e2b_client_opts, domain); F(e2b_client_opts, api_url); F(e2b_client_opts, sandbox_url);
    F(e2b_client_opts, request_timeout_ms); F(e2b_client_opts, proxy); F(e2b_client_opts, user_agent);
    F(e2b_client_opts, max_attempts); F(e2b_client_opts, flags); F(e2b_client_opts, delivery);
    F(e2b_client_opts, log_cb); F(e2b_client_opts, log_payload); F(e2b_client_opts, log_level); F(e2b_client_opts, log_file);
    S(e2b_sandbox_opts); F(e2b_sandbox_opts, version); F(e2b_sandbox_opts, template_id);
    F(e2b_sandbox_opts, timeout_ms); F(e2b_sandbox_opts, metadata); F(e2b_sandbox_opts, envs);
    F(e2b_sandbox_opts, flags); F(e2b_sandbox_opts, profile); F(e2b_sandbox_opts, cpu_count); F(e2b_sandbox_opts, memory_mb);
    S(e2b_sandbox_info); F(e2b_sandbox_info, version); F(e2b_sandbox_info, sandbox_id);
    F(e2b_sandbox_info, template_id); F(e2b_sandbox_info, alias); F(e2b_sandbox_info, state);
    F(e2b_sandbox_info, envd_version); F(e2b_sandbox_info, started_at_ms); F(e2b_sandbox_info, end_at_ms);
    F(e2b_sandbox_info, cpu_count); F(e2b_sandbox_info, memory_mb); F(e2b_sandbox_info, disk_size_mb);
    F(e2b_sandbox_info, metadata_count); F(e2b_sandbox_info, metadata_keys); F(e2b_sandbox_info, metadata_values);
    S(e2b_list_opts); F(e2b_list_opts, version); F(e2b_list_opts, states); F(e2b_list_opts, metadata);
    F(e2b_list_opts, limit); F(e2b_list_opts, next_token);
    S(e2b_exec_opts); F(e2b_exec_opts, version); F(e2b_exec_opts, cwd); F(e2b_exec_opts, envs);
    F(e2b_exec_opts, user); F(e2b_exec_opts, timeout_ms); F(e2b_exec_opts, tag); F(e2b_exec_opts, flags);
    S(e2b_exec_callbacks); F(e2b_exec_callbacks, version); F(e2b_exec_callbacks, on_stdout);
    F(e2b_exec_callbacks, on_stderr); F(e2b_exec_callbacks, on_exit); F(e2b_exec_callbacks, payload);
    S(e2b_exec_output); F(e2b_exec_output, out); F(e2b_exec_output, err); F(e2b_exec_output, exit_code);
    F(e2b_exec_output, error);
    S(e2b_process_info); F(e2b_process_info, version); F(e2b_process_info, pid); F(e2b_process_info, cmd);
    F(e2b_process_info, arg_count); F(e2b_process_info, args); F(e2b_process_info, tag);
    S(e2b_files_opts); F(e2b_files_opts, version); F(e2b_files_opts, user); F(e2b_files_opts, timeout_ms);
    S(e2b_file_entry); F(e2b_file_entry, path); F(e2b_file_entry, data); F(e2b_file_entry, len);
    S(e2b_entry_info); F(e2b_entry_info, version); F(e2b_entry_info, type); F(e2b_entry_info, name);
    F(e2b_entry_info, path); F(e2b_entry_info, size); F(e2b_entry_info, mode); F(e2b_entry_info, permissions);
    F(e2b_entry_info, owner); F(e2b_entry_info, group); F(e2b_entry_info, modified_time_ns);
    F(e2b_entry_info, symlink_target);
    S(e2b_fs_event); F(e2b_fs_event, version); F(e2b_fs_event, type); F(e2b_fs_event, name);
    S(e2b_sandbox_metric); F(e2b_sandbox_metric, version); F(e2b_sandbox_metric, cpu_count);
    F(e2b_sandbox_metric, timestamp_ms); F(e2b_sandbox_metric, cpu_used_pct); F(e2b_sandbox_metric, mem_used_bytes);
    F(e2b_sandbox_metric, mem_total_bytes); F(e2b_sandbox_metric, disk_used_bytes); F(e2b_sandbox_metric, disk_total_bytes);
    S(e2b_logs_opts); F(e2b_logs_opts, version); F(e2b_logs_opts, cursor_ms); F(e2b_logs_opts, limit);
    F(e2b_logs_opts, flags); F(e2b_logs_opts, min_level); F(e2b_logs_opts, search);
    S(e2b_sandbox_log_entry); F(e2b_sandbox_log_entry, version); F(e2b_sandbox_log_entry, timestamp_ms);
    F(e2b_sandbox_log_entry, level); F(e2b_sandbox_log_entry, message); F(e2b_sandbox_log_entry, field_count);
    F(e2b_sandbox_log_entry, field_keys); F(e2b_sandbox_log_entry, field_values);
    S(e2b_port_request_opts); F(e2b_port_request_opts, version); F(e2b_port_request_opts, headers);
    F(e2b_port_request_opts, body); F(e2b_port_request_opts, body_len); F(e2b_port_request_opts, timeout_ms);
    S(e2b_port_response); F(e2b_port_response, status); F(e2b_port_response, headers); F(e2b_port_response, body);
    S(e2b_ws_opts); F(e2b_ws_opts, version); F(e2b_ws_opts, headers); F(e2b_ws_opts, subprotocol);
    F(e2b_ws_opts, max_message_size); F(e2b_ws_opts, connect_timeout_ms);
    S(e2b_ws_callbacks); F(e2b_ws_callbacks, version); F(e2b_ws_callbacks, on_message);
    F(e2b_ws_callbacks, on_close); F(e2b_ws_callbacks, payload);
    S(e2b_code_result); F(e2b_code_result, version); F(e2b_code_result, is_main_result); F(e2b_code_result, text);
    F(e2b_code_result, html); F(e2b_code_result, markdown); F(e2b_code_result, svg); F(e2b_code_result, png);
    F(e2b_code_result, jpeg); F(e2b_code_result, pdf); F(e2b_code_result, latex); F(e2b_code_result, json);
    F(e2b_code_result, javascript); F(e2b_code_result, data); F(e2b_code_result, chart); F(e2b_code_result, extra);
    F(e2b_code_result, format_count); F(e2b_code_result, formats);
    S(e2b_code_error); F(e2b_code_error, version); F(e2b_code_error, name); F(e2b_code_error, value);
    F(e2b_code_error, traceback);
    S(e2b_code_opts); F(e2b_code_opts, version); F(e2b_code_opts, language); F(e2b_code_opts, context_id);
    F(e2b_code_opts, envs); F(e2b_code_opts, timeout_ms); F(e2b_code_opts, request_timeout_ms);
    S(e2b_code_callbacks); F(e2b_code_callbacks, version); F(e2b_code_callbacks, on_stdout);
    F(e2b_code_callbacks, on_stderr); F(e2b_code_callbacks, on_result); F(e2b_code_callbacks, on_error);
    F(e2b_code_callbacks, on_end); F(e2b_code_callbacks, payload);
    S(e2b_code_context); F(e2b_code_context, version); F(e2b_code_context, id); F(e2b_code_context, language);
    F(e2b_code_context, cwd);
    S(e2b_session_opts); F(e2b_session_opts, version); F(e2b_session_opts, sandbox);
    F(e2b_session_opts, idle_pause_ms); F(e2b_session_opts, timeout_ms);
    S(e2b_transfer_progress); F(e2b_transfer_progress, version); F(e2b_transfer_progress, files_done);
    F(e2b_transfer_progress, files_total); F(e2b_transfer_progress, reserved); F(e2b_transfer_progress, bytes_done);
    F(e2b_transfer_progress, bytes_total); F(e2b_transfer_progress, path);
    S(e2b_artifacts_opts); F(e2b_artifacts_opts, version); F(e2b_artifacts_opts, flags); F(e2b_artifacts_opts, user);
    F(e2b_artifacts_opts, timeout_ms); F(e2b_artifacts_opts, on_progress); F(e2b_artifacts_opts, payload);
    S(e2b_workspace_opts); F(e2b_workspace_opts, version); F(e2b_workspace_opts, flags); F(e2b_workspace_opts, user);
    F(e2b_workspace_opts, timeout_ms); F(e2b_workspace_opts, on_progress); F(e2b_workspace_opts, payload);
    S(e2b_artifact); F(e2b_artifact, version); F(e2b_artifact, reserved); F(e2b_artifact, rel_path);
    F(e2b_artifact, remote_path); F(e2b_artifact, local_path); F(e2b_artifact, size); F(e2b_artifact, mime_type);
    S(e2b_profile); F(e2b_profile, version); F(e2b_profile, cpu_count); F(e2b_profile, memory_mb); F(e2b_profile, timeout_ms);
    S(e2b_pool_opts); F(e2b_pool_opts, version); F(e2b_pool_opts, name); F(e2b_pool_opts, sandbox);
    F(e2b_pool_opts, min_idle); F(e2b_pool_opts, max_size); F(e2b_pool_opts, idle_timeout_ms);
    F(e2b_pool_opts, max_reuse); F(e2b_pool_opts, acquire_timeout_ms); F(e2b_pool_opts, flags);
    S(e2b_pool_stats); F(e2b_pool_stats, version); F(e2b_pool_stats, idle); F(e2b_pool_stats, active);
    F(e2b_pool_stats, creating); F(e2b_pool_stats, created); F(e2b_pool_stats, reused); F(e2b_pool_stats, replaced);
    F(e2b_pool_stats, evicted); F(e2b_pool_stats, exhausted); F(e2b_pool_stats, create_errors);
    F(e2b_pool_stats, acquisitions); F(e2b_pool_stats, wait_p50_ms); F(e2b_pool_stats, wait_p95_ms);
    S(e2b_cost_totals); F(e2b_cost_totals, version); F(e2b_cost_totals, sandboxes); F(e2b_cost_totals, running_seconds);
    F(e2b_cost_totals, paused_seconds); F(e2b_cost_totals, vcpu_seconds); F(e2b_cost_totals, gib_seconds);
    F(e2b_cost_totals, cost_usd);
    S(e2b_stall_opts); F(e2b_stall_opts, version); F(e2b_stall_opts, idle_ms); F(e2b_stall_opts, flags);
    F(e2b_stall_opts, on_stall); F(e2b_stall_opts, payload);
    printf("\n");
    return 0;
}
