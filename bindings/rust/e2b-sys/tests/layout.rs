//! Layout check of the hand-written declarations against include/e2b.h.
//!
//! Why a C program compiled at test time rather than bindgen or generated static asserts: the C
//! compiler is the authority on the header's layout, the check needs no extra crate (bindgen
//! pulls in libclang), and it runs where the tests run, so a header edit is caught by the next
//! `cargo test` without a regeneration step. tests/layout.c prints sizeof/_Alignof/offsetof and
//! the constants; this test compares them with size_of/align_of/offset_of! and the Rust consts,
//! and scans the header so that a struct or constant the binding does not mirror fails too.
use e2b_sys::*;
use std::collections::BTreeMap;
use std::mem::{align_of, offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

fn include_dir() -> PathBuf {
    match std::env::var_os("E2B_INCLUDE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../include"),
    }
}

fn c_layout() -> BTreeMap<String, i64> {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let exe = tmp.join("e2b_layout");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/layout.c");
    let st = Command::new(&cc)
        .arg("-std=c11")
        .arg("-I")
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(st.success(), "compiling tests/layout.c failed");
    let out = Command::new(&exe).output().expect("run layout program");
    assert!(out.status.success());
    let mut m = BTreeMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut it = line.split_whitespace();
        let (kind, name, v) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        m.insert(format!("{kind} {name}"), v.parse::<i64>().unwrap());
    }
    m
}

fn rust_layout() -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    macro_rules! s {
        ($t:ident { $($f:ident $(as $cf:ident)?),* }) => {
            m.insert(format!("size {}", stringify!($t)), size_of::<$t>() as i64);
            m.insert(format!("align {}", stringify!($t)), align_of::<$t>() as i64);
            $( m.insert(format!("offset {}.{}", stringify!($t), s!(@name $f $($cf)?)),
                        offset_of!($t, $f) as i64); )*
        };
        (@name $f:ident) => { stringify!($f) };
        (@name $f:ident $cf:ident) => { stringify!($cf) };
    }
    s!(e2b_error { code, http_status, message });
    s!(e2b_buf { ptr, size, reserved });
    s!(e2b_client_opts { version, api_key, domain, api_url, sandbox_url, request_timeout_ms,
                         proxy, user_agent, max_attempts, flags, delivery });
    s!(e2b_sandbox_opts { version, template_id, timeout_ms, metadata, envs, flags });
    s!(e2b_sandbox_info { version, sandbox_id, template_id, alias, state, envd_version,
                          started_at_ms, end_at_ms, cpu_count, memory_mb, disk_size_mb,
                          metadata_count, metadata_keys, metadata_values });
    s!(e2b_list_opts { version, states, metadata, limit, next_token });
    s!(e2b_exec_opts { version, cwd, envs, user, timeout_ms, tag, flags });
    s!(e2b_exec_callbacks { version, on_stdout, on_stderr, on_exit, payload });
    s!(e2b_exec_output { out, err, exit_code, error });
    s!(e2b_process_info { version, pid, cmd, arg_count, args, tag });
    s!(e2b_files_opts { version, user, timeout_ms });
    s!(e2b_file_entry { path, data, len });
    s!(e2b_entry_info { version, type_ as type, name, path, size, mode, permissions, owner,
                        group, modified_time_ns, symlink_target });
    s!(e2b_fs_event { version, type_ as type, name });
    s!(e2b_sandbox_metric { version, cpu_count, timestamp_ms, cpu_used_pct, mem_used_bytes,
                            mem_total_bytes, disk_used_bytes, disk_total_bytes });
    s!(e2b_logs_opts { version, cursor_ms, limit, flags, min_level, search });
    s!(e2b_sandbox_log_entry { version, timestamp_ms, level, message, field_count, field_keys,
                               field_values });
    macro_rules! c {
        ($($n:ident),*) => { $( m.insert(format!("const {}", stringify!($n)), $n as i64); )* };
    }
    c!(E2B_ABI_VERSION, E2B_OK, E2B_ERROR, E2B_EINVAL, E2B_EVERSION, E2B_ENOTFOUND, E2B_ETIMEOUT,
       E2B_EAUTH, E2B_ERATELIMIT, E2B_ENOSPACE, E2B_ECANCELED, E2B_EUSER, E2B_EMISUSE,
       E2B_ESANDBOX_NOT_FOUND, E2B_EFILE_NOT_FOUND, E2B_ECOMMAND_EXIT, E2B_ETEMPLATE,
       E2B_ENETWORK, E2B_EPROTOCOL, E2B_ENOMEM, E2B_CLIENT_F_NO_ENV, E2B_CLIENT_OPTS_VERSION,
       E2B_DELIVERY_SERVICE_THREAD, E2B_DELIVERY_QUEUED, E2B_SANDBOX_F_INSECURE,
       E2B_SANDBOX_F_NO_INTERNET, E2B_SANDBOX_F_AUTO_PAUSE, E2B_SANDBOX_OPTS_VERSION,
       E2B_LIST_RUNNING, E2B_LIST_PAUSED, E2B_LIST_OPTS_VERSION, E2B_EXEC_F_STDIN,
       E2B_EXEC_OPTS_VERSION, E2B_EXEC_CALLBACKS_VERSION, E2B_FILES_OPTS_VERSION,
       E2B_FILE_TYPE_FILE, E2B_FILE_TYPE_DIR, E2B_FILE_TYPE_SYMLINK, E2B_WATCH_F_RECURSIVE,
       E2B_FS_EVENT_CREATE, E2B_FS_EVENT_WRITE, E2B_FS_EVENT_REMOVE, E2B_FS_EVENT_RENAME,
       E2B_FS_EVENT_CHMOD, E2B_LOGS_F_BACKWARD, E2B_LOGS_OPTS_VERSION);
    m
}

#[test]
fn structs_and_constants_match_the_header() {
    let c = c_layout();
    let r = rust_layout();
    let mut bad = Vec::new();
    for (k, v) in &c {
        match r.get(k) {
            Some(rv) if rv == v => {}
            Some(rv) => bad.push(format!("{k}: C {v}, Rust {rv}")),
            None => bad.push(format!("{k}: printed by layout.c, not checked on the Rust side")),
        }
    }
    for k in r.keys().filter(|k| !c.contains_key(*k)) {
        bad.push(format!("{k}: checked on the Rust side, missing from layout.c"));
    }
    assert!(bad.is_empty(), "layout mismatches:\n{}", bad.join("\n"));
}

/// Every struct and integer constant of the header's bound part (everything before the first
/// "(section: ...)" placeholder, where other modules are being added) must be mirrored. Structs
/// and constants after it are reported, and fail only once that section is bound here.
#[test]
fn every_struct_and_constant_of_the_header_is_mirrored() {
    let header = std::fs::read_to_string(include_dir().join("e2b.h")).expect("read e2b.h");
    let r = rust_layout();
    let mut missing = Vec::new();
    let mut later = Vec::new();
    let mut bound_part = true;
    for line in header.lines() {
        let t = line.trim();
        if t.starts_with("/* (section:") {
            bound_part = false;
        }
        let key = if let Some(rest) = t.strip_prefix("typedef struct ") {
            match rest.split_whitespace().collect::<Vec<_>>()[..] {
                [name, "{", ..] => Some(format!("size {name}")),
                _ => None,
            }
        } else if let Some(rest) = t.strip_prefix("#define E2B_") {
            let mut it = rest.split_whitespace();
            let name = format!("E2B_{}", it.next().unwrap_or(""));
            let val = it.next().unwrap_or("");
            let numeric = val.trim_end_matches('u').parse::<i64>().is_ok()
                || val.starts_with("0x")
                || val.starts_with('-');
            let skip = name.starts_with("E2B_VERSION_") || name == "E2B_H" || name.contains('(');
            (numeric && !skip).then(|| format!("const {name}"))
        } else {
            None
        };
        if let Some(k) = key {
            if !r.contains_key(&k) {
                if bound_part { missing.push(k) } else { later.push(k) }
            }
        }
    }
    if !later.is_empty() {
        eprintln!("note: not yet bound by e2b-sys (newer sections): {}", later.join(", "));
    }
    assert!(missing.is_empty(), "e2b.h declares what e2b-sys does not mirror: {}", missing.join(", "));
}
