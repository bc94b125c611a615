//! The real library ($LIBE2B_PATH, default <repo>/build/libe2b.so.0) loads and answers.
#[test]
fn real_library_loads() {
    if std::env::var_os("LIBE2B_PATH").is_none() {
        let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../build/libe2b.so.0");
        std::env::set_var("LIBE2B_PATH", p);
    }
    let api = e2b_sys::api().unwrap_or_else(|e| panic!("{e}"));
    let v = unsafe { std::ffi::CStr::from_ptr((api.e2b_version)()) }.to_str().unwrap().to_string();
    assert!(v.starts_with("0."), "{v}");
    assert_eq!(unsafe { (api.e2b_abi_version)() }, e2b_sys::E2B_ABI_VERSION);
    // A raw failing call sets the thread's last error.
    let rc = unsafe { (api.e2b_client_new)(std::ptr::null_mut(), std::ptr::null()) };
    assert_eq!(rc, e2b_sys::E2B_EINVAL);
    let e = unsafe { &*(api.e2b_error_last)() };
    assert_eq!(e.code, e2b_sys::E2B_EINVAL);
}
