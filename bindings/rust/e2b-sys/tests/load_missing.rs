//! No library at $LIBE2B_PATH: a clear Open error naming the path and the variable.
//! (Its own test binary: the loaded table is cached per process.)
#[test]
fn missing_library_gives_a_clear_error() {
    std::env::set_var("LIBE2B_PATH", "/nonexistent/libe2b.so.0");
    let e = e2b_sys::api().err().expect("must fail");
    assert!(matches!(e, e2b_sys::LoadError::Open { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("/nonexistent/libe2b.so.0") && msg.contains("LIBE2B_PATH"), "{msg}");
    assert_eq!(e2b_sys::api().err(), Some(e), "the failure is cached, not retried");
}
