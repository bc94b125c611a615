//! Sandbox resource metrics and platform logs (the SDKs' getMetrics, and the sandbox's log lines).
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use e2b_sys as sys;

use crate::client::{unix_ms, Client, Sandbox};
use crate::error::{cstr_lossy, Result};
use crate::{check, cstring, opt_cstring, opt_ptr};

/// One resource usage sample.
#[derive(Debug, Clone, PartialEq)]
pub struct SandboxMetric {
    pub timestamp: SystemTime,
    pub cpu_count: i32,
    /// 0..100 over all its vCPUs.
    pub cpu_used_pct: f64,
    pub mem_used: i64,
    pub mem_total: i64,
    pub disk_used: i64,
    pub disk_total: i64,
}

/// Which log lines [`Sandbox::get_logs`] returns. `Default`: from the beginning, up to 1000,
/// every level.
#[derive(Debug, Clone, Default)]
pub struct LogsOptions {
    /// Start here (None = the beginning; with `backward`, the end).
    pub cursor: Option<SystemTime>,
    /// 1..=1000; 0 = 1000.
    pub limit: u32,
    /// Newest first; `cursor` then bounds from above.
    pub backward: bool,
    /// "debug" | "info" | "warn" | "error"; None = all.
    pub min_level: Option<String>,
    /// Case-sensitive substring of the message.
    pub search: Option<String>,
}

/// A platform log line about a sandbox (lifecycle events: created, paused, resumed, ...), not
/// the output of its commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLogEntry {
    pub timestamp: SystemTime,
    pub level: String,
    pub message: String,
    pub fields: HashMap<String, String>,
}

fn unix_s(t: Option<SystemTime>) -> i64 {
    match t {
        None => -1,
        Some(t) => t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs().min(i64::MAX as u64) as i64),
    }
}

impl Sandbox {
    /// Resource usage samples between `start` and `end` (None = unbounded), oldest first.
    pub fn get_metrics(&self, start: Option<SystemTime>, end: Option<SystemTime>) -> Result<Vec<SandboxMetric>> {
        Sandbox::get_metrics_by_id(self.client(), self.id(), start, end)
    }

    /// As [`get_metrics`](Self::get_metrics), by id without a handle.
    pub fn get_metrics_by_id(
        client: &Client,
        sandbox_id: &str,
        start: Option<SystemTime>,
        end: Option<SystemTime>,
    ) -> Result<Vec<SandboxMetric>> {
        let api = client.inner.api;
        let id = cstring(sandbox_id, "sandbox_id")?;
        let mut raw = std::ptr::null_mut();
        check(api, unsafe {
            (api.e2b_sandbox_get_metrics)(&mut raw, client.inner.raw, id.as_ptr(), unix_s(start), unix_s(end))
        })?;
        // SAFETY: items are borrowed from the list until it is freed.
        unsafe {
            let n = (api.e2b_sandbox_metric_list_count)(raw);
            let v = (0..n)
                .map(|i| {
                    let m = &*(api.e2b_sandbox_metric_list_at)(raw, i);
                    SandboxMetric {
                        timestamp: unix_ms(m.timestamp_ms),
                        cpu_count: m.cpu_count,
                        cpu_used_pct: m.cpu_used_pct,
                        mem_used: m.mem_used_bytes,
                        mem_total: m.mem_total_bytes,
                        disk_used: m.disk_used_bytes,
                        disk_total: m.disk_total_bytes,
                    }
                })
                .collect();
            (api.e2b_sandbox_metric_list_free)(raw);
            Ok(v)
        }
    }

    /// One page of the platform's log lines about this sandbox. To page forward, pass the last
    /// entry's timestamp + 1 ms as the next cursor.
    pub fn get_logs(&self, opts: &LogsOptions) -> Result<Vec<SandboxLogEntry>> {
        Sandbox::get_logs_by_id(self.client(), self.id(), opts)
    }

    /// As [`get_logs`](Self::get_logs), by id (also for a paused or recently ended sandbox).
    pub fn get_logs_by_id(client: &Client, sandbox_id: &str, opts: &LogsOptions) -> Result<Vec<SandboxLogEntry>> {
        let api = client.inner.api;
        let id = cstring(sandbox_id, "sandbox_id")?;
        let level = opt_cstring(&opts.min_level, "min_level")?;
        let search = opt_cstring(&opts.search, "search")?;
        let o = sys::e2b_logs_opts {
            version: sys::E2B_LOGS_OPTS_VERSION,
            cursor_ms: opts
                .cursor
                .map_or(0, |t| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)),
            limit: opts.limit,
            flags: if opts.backward { sys::E2B_LOGS_F_BACKWARD } else { 0 },
            min_level: opt_ptr(&level),
            search: opt_ptr(&search),
        };
        let mut raw = std::ptr::null_mut();
        check(api, unsafe { (api.e2b_sandbox_get_logs)(&mut raw, client.inner.raw, id.as_ptr(), &o) })?;
        // SAFETY: entries are borrowed from the list until it is freed.
        unsafe {
            let n = (api.e2b_sandbox_log_list_count)(raw);
            let v = (0..n)
                .map(|i| {
                    let e = &*(api.e2b_sandbox_log_list_at)(raw, i);
                    let fields = (0..e.field_count)
                        .map(|k| (cstr_lossy(*e.field_keys.add(k)), cstr_lossy(*e.field_values.add(k))))
                        .collect();
                    SandboxLogEntry {
                        timestamp: unix_ms(e.timestamp_ms),
                        level: cstr_lossy(e.level),
                        message: cstr_lossy(e.message),
                        fields,
                    }
                })
                .collect();
            (api.e2b_sandbox_log_list_free)(raw);
            Ok(v)
        }
    }
}
