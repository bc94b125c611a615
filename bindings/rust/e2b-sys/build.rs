// Only the `link` feature needs the build script: it asks pkg-config for libe2b's link flags.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    #[cfg(feature = "link")]
    {
        if let Err(e) = pkg_config::Config::new().atleast_version("0.1").probe("e2b") {
            panic!("e2b-sys feature `link`: libe2b not found via pkg-config ({e}); install libe2b or set PKG_CONFIG_PATH");
        }
    }
}
