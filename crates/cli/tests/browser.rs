//! The HTML report in a real browser (headless Chromium): the page renders its diagram and
//! findings table, its own script runs (the filter counter fills in), and nothing from the model
//! runs. Skipped with a message when Chromium is absent, except in CI (`CI` set), which installs
//! it and must run this test.

use std::path::PathBuf;
use std::process::Command as Process;

use assert_cmd::Command;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            std::env::var_os("PATH")?
                .to_str()?
                .split(':')
                .map(|dir| PathBuf::from(dir).join(name))
                .find(|p| p.is_file())
        })
}

fn dump_dom(browser: &PathBuf, page: &std::path::Path) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Process::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn html_of(fixture: &str, dir: &std::path::Path) -> PathBuf {
    let name = fixture.rsplit('/').next().unwrap_or(fixture);
    let page = dir.join(format!("{name}.html"));
    Command::cargo_bin("threatscribe")
        .expect("binary")
        .arg("analyze")
        .arg(format!("{}/{fixture}", env!("CARGO_MANIFEST_DIR")))
        .args(["--format", "html", "--quiet", "-o"])
        .arg(&page)
        .assert()
        .success();
    page
}

#[test]
fn the_html_report_renders_in_chromium_and_runs_nothing_from_the_model() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs Chromium (.ci/run); it must be on PATH"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let blog = dump_dom(
        &browser,
        &html_of("../../examples/blog/model.yaml", dir.path()),
    );
    assert!(blog.contains("<svg"), "the diagram is in the page");
    assert!(blog.contains("Blog web application"));
    assert!(
        blog.matches("class=\"finding\"").count() >= 30,
        "the findings table has its rows"
    );
    assert!(
        blog.contains(" shown</span>"),
        "the page's own script ran and counted the rows"
    );
    let hostile = dump_dom(&browser, &html_of("tests/fixtures/pwn.yaml", dir.path()));
    assert!(hostile.contains(" shown</span>"), "the page rendered");
    // The payloads would set an attribute on <html>; their text shows up escaped in the page.
    let html_tag = &hostile[hostile.find("<html").expect("html tag")..];
    let html_tag = &html_tag[..html_tag.find('>').expect("tag end")];
    assert!(
        !html_tag.contains("data-pwned"),
        "a script from the model ran: {html_tag}"
    );
    assert!(
        hostile.contains("&lt;img src=x"),
        "the payload is shown as text"
    );
}
