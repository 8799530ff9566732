//! A `threatscribe serve` process for tests: started on a free loopback port, stopped when
//! dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub struct Server {
    child: Child,
    pub url: String,
    /// What `serve` printed after its address line (the generated token, if any).
    pub printed: String,
}

impl Server {
    pub fn start(db: &Path, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_threatscribe"));
        command.arg("serve");
        if !args.contains(&"--addr") {
            command.args(["--addr", "127.0.0.1:0"]);
        }
        let mut child = command
            .arg("--db")
            .arg(db)
            .args(args)
            .env_remove("THREATSCRIBE_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("serve starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .trim_end_matches('/')
            .to_owned();
        let mut printed = String::new();
        if args.contains(&"0.0.0.0:0") {
            out.read_line(&mut printed).unwrap();
        }
        Server {
            child,
            url,
            printed,
        }
    }

    /// The URL, reached through 127.0.0.1 when bound to every address.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url.replace("0.0.0.0", "127.0.0.1"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
