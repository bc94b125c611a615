//! A library whose e2b_abi_version() differs: refused with both versions in the message.
//! The impostor library is compiled at test time (needs `cc`).
#[test]
fn abi_mismatch_is_refused() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("abi99.c");
    let so = dir.join("libabi99.so");
    std::fs::write(&src, "int e2b_abi_version(void) { return 99; }\n").unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let st = std::process::Command::new(cc).args(["-shared", "-fPIC", "-o"]).arg(&so).arg(&src).status().unwrap();
    assert!(st.success());
    std::env::set_var("LIBE2B_PATH", &so);
    match e2b_sys::api().err().expect("must be refused") {
        e2b_sys::LoadError::AbiMismatch { found, expected, .. } => {
            assert_eq!((found, expected), (99, e2b_sys::E2B_ABI_VERSION));
        }
        e => panic!("unexpected {e:?}"),
    }
    let msg = e2b_sys::api().err().unwrap().to_string();
    assert!(msg.contains("ABI version 99") && msg.contains("needs 1"), "{msg}");
}
