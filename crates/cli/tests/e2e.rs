//! The web app end to end, as a reviewer uses it, in Debian's Chromium driven by Playwright
//! (`e2e/review.mjs`): paste the blog description, see the diagram and the findings, accept a
//! finding with a justification, reload, add a second version, open the diff. Screenshots of
//! each step go to `target/e2e-screenshots/`.
//!
//! Needs Node.js, Chromium and `npm ci --prefix e2e`. Skipped with a message when one is
//! missing, except in CI (`CI` set), which installs them and must run it.

// Each test binary uses part of the helper.
#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use std::path::{Path, PathBuf};
use std::process::Command;

use server::Server;

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(name))
        .find(|p| p.is_file())
}

#[test]
fn a_reviewer_pastes_reviews_accepts_reloads_adds_a_version_and_compares() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let e2e = root.join("e2e");
    let node = on_path("node");
    let browser = ["chromium", "chromium-browser"]
        .iter()
        .find_map(|b| on_path(b));
    let installed = e2e.join("node_modules/playwright-core").is_dir();
    let (Some(node), Some(browser), true) = (node, browser, installed) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the end-to-end test: it needs node, chromium and `npm ci --prefix e2e`"
        );
        eprintln!("skipped: the end-to-end test needs node, chromium and `npm ci --prefix e2e`");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("app.sqlite"), &[]);
    let shots = root.join("target/e2e-screenshots");
    let output = Command::new(node)
        .arg(e2e.join("review.mjs"))
        .arg(server.at(""))
        .arg(root.join("examples/blog/description.txt"))
        .arg(&shots)
        .arg(browser)
        .output()
        .expect("node runs");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{log}");
    for step in [
        "the data flow diagram is drawn",
        "after a reload the finding is still accepted",
        "the diff lists new findings",
        "no page errors and no CSP violations",
    ] {
        assert!(log.contains(&format!("ok - {step}")), "{step}: {log}");
    }
    assert_eq!(
        std::fs::read_dir(&shots).unwrap().count(),
        6,
        "one screenshot per step"
    );
}
