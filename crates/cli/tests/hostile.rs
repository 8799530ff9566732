//! Hostile and broken inputs, each with its exact outcome: exit code 2 and a message that says
//! what and where, within a bounded time, never a panic, never a partial output file. Inputs are
//! built here (no fixture can rot); each runs `analyze INPUT -o OUT` and the test checks that OUT
//! was not written.

use std::time::Duration;

use assert_cmd::Command;

struct Case {
    name: &'static str,
    file: &'static str,
    bytes: Vec<u8>,
    /// Substrings stderr must contain.
    says: &'static [&'static str],
}

fn case(name: &'static str, file: &'static str, text: &str, says: &'static [&'static str]) -> Case {
    Case {
        name,
        file,
        bytes: text.as_bytes().to_vec(),
        says,
    }
}

const APP: &str = "elements:\n  - { id: app, name: App, kind: process }\n  - { id: db, name: DB, kind: data_store }\n";

#[allow(clippy::too_many_lines)] // one line per case reads best as one table
fn cases() -> Vec<Case> {
    let deep_yaml = format!("elements: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let deep_json = format!(
        "{{\"elements\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut bomb = String::from(
        "elements:\n  - name: A\n    kind: process\n    properties:\n      a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, cur) in "abcdefghi".chars().zip("bcdefghij".chars()) {
        bomb.push_str(&format!(
            "      {cur}: &{cur} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
    }
    let many_docs = "elements: []\n---\n".repeat(2_000);
    vec![
        case(
            "yaml syntax: bad indentation",
            "m.yaml",
            "elements:\n  - name: A\n   kind: process\n",
            &["m.yaml:"],
        ),
        case(
            "yaml syntax: unclosed flow",
            "m.yaml",
            "elements: [ { name: A, kind: process }\n",
            &["m.yaml:"],
        ),
        case(
            "yaml syntax: tab indentation",
            "m.yaml",
            "elements:\n\t- name: A\n",
            &["m.yaml:"],
        ),
        case(
            "json syntax: trailing comma",
            "m.json",
            "{\"elements\": [1,]}",
            &["m.json:1:", "invalid JSON"],
        ),
        case(
            "json syntax: truncated",
            "m.json",
            "{\"elements\": [",
            &["m.json:1:", "invalid JSON"],
        ),
        case(
            "json: duplicate key",
            "m.json",
            "{\"name\": \"a\", \"name\": \"b\", \"elements\": []}",
            &["m.json:1:"],
        ),
        case(
            "wrong type: elements is a string",
            "m.yaml",
            "elements: yes please\n",
            &["m.yaml:1:"],
        ),
        case(
            "wrong type: name is a list",
            "m.yaml",
            "elements:\n  - { name: [a], kind: process }\n",
            &["m.yaml:2:"],
        ),
        case(
            "wrong type: technologies is a map",
            "m.yaml",
            "elements:\n  - { name: A, kind: process, technologies: { a: 1 } }\n",
            &["m.yaml:2:"],
        ),
        case(
            "unknown top-level field",
            "m.yaml",
            "elemnts: []\n",
            &["m.yaml:1:1", "elemnts"],
        ),
        case(
            "unknown element field",
            "m.yaml",
            "elements:\n  - { name: A, kind: process, colour: red }\n",
            &["m.yaml:2:", "colour"],
        ),
        case(
            "unknown kind",
            "m.yaml",
            "elements:\n  - { name: A, kind: proces }\n",
            &[
                "m.yaml:2:",
                "unknown element kind `proces`",
                "did you mean `process`?",
            ],
        ),
        case(
            "unknown boundary kind",
            "m.yaml",
            &format!("{APP}boundaries:\n  - {{ id: b, name: B, kind: clowd }}\n"),
            &["unknown boundary kind `clowd`", "did you mean `cloud`?"],
        ),
        case(
            "unknown classification",
            "m.yaml",
            &format!("{APP}data_assets:\n  - {{ id: d, name: D, classification: secret }}\n"),
            &["unknown classification `secret`"],
        ),
        case(
            "dangling flow end",
            "m.yaml",
            &format!("{APP}flows:\n  - {{ from: app, to: dbx }}\n"),
            &["m.yaml:5:", "unknown element `dbx`", "did you mean `db`?"],
        ),
        case(
            "dangling boundary",
            "m.yaml",
            "elements:\n  - { name: A, kind: process, boundary: nowhere }\n",
            &["unknown boundary `nowhere`"],
        ),
        case(
            "dangling data asset",
            "m.yaml",
            &format!("{APP}flows:\n  - {{ from: app, to: db, data: [ghost] }}\n"),
            &["unknown data asset `ghost`"],
        ),
        case(
            "dangling boundary parent",
            "m.yaml",
            &format!("{APP}boundaries:\n  - {{ id: b, name: B, kind: cloud, parent: up }}\n"),
            &["unknown parent `up`"],
        ),
        case(
            "duplicate element id",
            "m.yaml",
            "elements:\n  - { id: a, name: A, kind: process }\n  - { id: a, name: B, kind: process }\n",
            &["m.yaml:3:", "duplicate element id `a`"],
        ),
        case(
            "duplicate derived id",
            "m.yaml",
            "elements:\n  - { name: Web App, kind: process }\n  - { name: web-app, kind: process }\n",
            &["duplicate element id `web-app`", "set `id:`"],
        ),
        case(
            "element and flow share an id",
            "m.yaml",
            &format!("{APP}flows:\n  - {{ id: app, from: app, to: db }}\n"),
            &["duplicate id `app`"],
        ),
        case(
            "boundary cycle",
            "m.yaml",
            &format!(
                "{APP}boundaries:\n  - {{ id: a, name: A, kind: cloud, parent: b }}\n  - {{ id: b, name: B, kind: network, parent: a }}\n"
            ),
            &["boundaries form a cycle"],
        ),
        case(
            "self-flow",
            "m.yaml",
            &format!("{APP}flows:\n  - {{ from: app, to: app }}\n"),
            &["flow from `app` to itself"],
        ),
        case(
            "empty model file",
            "m.yaml",
            "",
            &["the model has no elements"],
        ),
        case(
            "model with no elements",
            "m.yaml",
            "name: nothing\nelements: []\n",
            &["the model has no elements"],
        ),
        case(
            "bad id",
            "m.yaml",
            "elements:\n  - { id: Web_App, name: A, kind: process }\n",
            &["not lowercase kebab-case"],
        ),
        case(
            "control characters in a name",
            "m.yaml",
            "elements:\n  - { name: \"A\\u0007B\", kind: process }\n",
            &["control characters"],
        ),
        case(
            "empty name",
            "m.yaml",
            "elements:\n  - { name: \"\", kind: process }\n",
            &["empty name"],
        ),
        case(
            "tracking: bad status",
            "m.yaml",
            &format!("{APP}tracking:\n  - {{ threat: BASE001@app, status: waived }}\n"),
            &["unknown tracking status `waived`"],
        ),
        case(
            "tracking: accepted without reason",
            "m.yaml",
            &format!("{APP}tracking:\n  - {{ threat: BASE001@app, status: accepted }}\n"),
            &["needs a `justification`"],
        ),
        case(
            "tracking: not a threat id",
            "m.yaml",
            &format!("{APP}tracking:\n  - {{ threat: BASE001, status: open }}\n"),
            &["is not a threat id"],
        ),
        case(
            "tracking: bad date",
            "m.yaml",
            &format!(
                "{APP}tracking:\n  - {{ threat: BASE001@app, status: open, expires: tomorrow }}\n"
            ),
            &["`tomorrow` is not a date"],
        ),
        case(
            "alias bomb",
            "m.yaml",
            &bomb,
            &["budget breached", "billion laughs"],
        ),
        case(
            "10,000-deep YAML nesting",
            "m.yaml",
            &deep_yaml,
            &["recursion limit"],
        ),
        case(
            "10,000-deep JSON nesting",
            "m.json",
            &deep_json,
            &["m.json:1:", "recursion limit"],
        ),
        case(
            "thousands of YAML documents",
            "m.yaml",
            &many_docs,
            &["m.yaml:"],
        ),
        Case {
            name: "invalid UTF-8",
            file: "m.yaml",
            bytes: b"name: caf\xe9\nelements: []\n".to_vec(),
            says: &["not valid UTF-8"],
        },
        Case {
            name: "binary file",
            file: "m.yaml",
            bytes: vec![0x7f, b'E', b'L', b'F', 0, 0, 1, 2],
            says: &["binary file"],
        },
        Case {
            name: "NUL byte in text",
            file: "m.yaml",
            bytes: b"elements:\n  - { name: A\0, kind: process }\n".to_vec(),
            says: &["is NUL"],
        },
        Case {
            name: "UTF-16 text",
            file: "d.txt",
            bytes: vec![0xff, 0xfe, b'a', 0, b' ', 0, b'w', 0],
            says: &["binary file"],
        },
        case(
            "description: empty",
            "d.txt",
            "   \n\n",
            &["the description is empty", "describe the parts"],
        ),
        case(
            "description: no architecture",
            "d.txt",
            "Remember to book the meeting room for Thursday and bring snacks.",
            &["no architecture found"],
        ),
        case(
            "description: only punctuation",
            "d.md",
            "--- *** ### !!!",
            &["no architecture found"],
        ),
        case(
            "description: only an actor",
            "d.txt",
            "Users are happy.",
            &["no architecture found"],
        ),
        case(
            "description: markdown table junk",
            "d.md",
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
            &["no architecture found"],
        ),
    ]
}

#[test]
fn every_hostile_input_gets_exit_2_a_message_and_no_output() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report.md");
    let mut failures = Vec::new();
    let cases = cases();
    for case in &cases {
        let input = dir.path().join(case.file);
        std::fs::write(&input, &case.bytes).expect("write input");
        let output = Command::cargo_bin("threatscribe")
            .expect("binary")
            .arg("analyze")
            .arg(&input)
            .arg("-o")
            .arg(&out)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(2) {
            failures.push(format!(
                "{}: exit {:?}, expected 2\n{stderr}",
                case.name,
                output.status.code()
            ));
        }
        if stderr.contains("panicked") {
            failures.push(format!("{}: panicked\n{stderr}", case.name));
        }
        for wanted in case.says {
            if !stderr.contains(wanted) {
                failures.push(format!("{}: stderr lacks `{wanted}`:\n{stderr}", case.name));
            }
        }
        if out.exists() {
            failures.push(format!("{}: an output file was written", case.name));
            let _ = std::fs::remove_file(&out);
        }
    }
    assert!(cases.len() >= 40, "the corpus holds at least 40 cases");
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n---\n")
    );
}

/// A 200 MB model file is refused from its size before a byte of it is read; with the limit
/// raised past it, it is read and refused for what it holds (zero bytes: a binary file). The file
/// is sparse, so the test needs no disk space.
#[test]
fn a_200_mb_file_is_refused_by_its_size_and_with_the_limit_raised_by_its_content() {
    let dir = tempfile::tempdir().expect("temp dir");
    let huge = dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(200 << 20))
        .expect("a sparse file");
    let out = dir.path().join("report.md");
    let run = |extra: &[&str]| {
        let output = Command::cargo_bin("threatscribe")
            .expect("binary")
            .arg("analyze")
            .arg(&huge)
            .args(extra)
            .arg("-o")
            .arg(&out)
            .timeout(Duration::from_secs(20))
            .output()
            .expect("run");
        assert!(!out.exists(), "{extra:?}: an output file was written");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "is larger than 32 MiB, the most threatscribe reads (raise it with --max-input-mib)"
        ),
        "{stderr}"
    );
    let (code, stderr) = run(&["--max-input-mib", "300"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("byte 0 is NUL: this looks like a binary file"),
        "{stderr}"
    );
}
