//! Creates a sandbox, streams a command, round-trips a file, kills it.
//! E2B_API_KEY (and E2B_API_URL/E2B_SANDBOX_URL for e2b-local) from the environment;
//! LIBE2B_PATH if libe2b.so.0 is not on the loader path.
//!   cargo run --example hello
use e2b::{Client, CommandOptions, Handlers, Sandbox, SandboxOptions};

fn main() -> e2b::Result<()> {
    let client = Client::new()?;
    let sbx = Sandbox::create(&client, &SandboxOptions::default())?;
    println!("sandbox {} (envd {})", sbx.id(), sbx.envd_version());
    sbx.commands().run_with(
        "for i in 1 2 3; do echo line $i; sleep 0.1; done",
        &CommandOptions::default(),
        Handlers::new().on_stdout(|d| print!("{}", String::from_utf8_lossy(d))),
    )?;
    sbx.files().write("/home/user/hello.txt", "hello from rust\n")?;
    print!("{}", sbx.files().read_to_string("/home/user/hello.txt")?);
    match sbx.files().read("/home/user/missing") {
        Err(e) => println!("expected error: {e} (kind {:?}, code {})", e.kind(), e.code()),
        Ok(_) => unreachable!(),
    }
    sbx.kill()?;
    Ok(())
}
