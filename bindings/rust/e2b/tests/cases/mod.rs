//! Cases for the API added after the first binding: ports, code interpreter, sessions /
//! artifacts / workspace, by-id and by-pid control, monitoring. Run by integration.rs on its
//! server.
pub mod code;
pub mod control;
pub mod ports;
pub mod production;
pub mod production_b;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Counts its drops: captured by a closure, it proves the closure was freed (once).
pub struct Tracked(pub Arc<AtomicUsize>);
impl Drop for Tracked {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn count(c: &Arc<AtomicUsize>) -> usize {
    c.load(Ordering::SeqCst)
}
