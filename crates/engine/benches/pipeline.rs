//! Benchmarks of the pipeline's stages, so regressions show: reading a model file (YAML and
//! JSON), reading a description (the blog's, and 5,000 words), analysing, the streamed JSON
//! report, and the SVG diagram of 1,001 elements; each renderer has its own on the blog in
//! `threatscribe-report`. Run with `cargo bench -p
//! threatscribe-engine`; the scale figures (10,000 elements and more) come from bench/scale.sh.

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};
use threatscribe_engine::{StreamingAnalysis, analyze};
use threatscribe_intake::{Format, parse_description, parse_model};
use threatscribe_kb::KnowledgeBase;
use threatscribe_report::{Json, Source};

const BLOG_MODEL: &str = include_str!("../../../examples/blog/model.yaml");
const BLOG_DESCRIPTION: &str = include_str!("../../../examples/blog/description.txt");

/// A chain of `n` web services, each with a database, behind one set of users.
fn synthetic(n: usize) -> String {
    let mut text = String::from(
        "elements:\n  - { id: users, name: Users, kind: external_entity, tags: [browser] }\n",
    );
    for i in 0..n {
        let _ = writeln!(
            text,
            "  - {{ id: svc-{i}, name: Service {i}, kind: process, technologies: [django] }}"
        );
        let _ = writeln!(
            text,
            "  - {{ id: db-{i}, name: DB {i}, kind: data_store, technologies: [postgresql] }}"
        );
    }
    text.push_str("flows:\n");
    for i in 0..n {
        let from = if i == 0 {
            "users".to_owned()
        } else {
            format!("svc-{}", i - 1)
        };
        let _ = writeln!(text, "  - {{ from: {from}, to: svc-{i}, protocol: https }}");
        let _ = writeln!(
            text,
            "  - {{ from: svc-{i}, to: db-{i}, protocol: postgresql }}"
        );
    }
    text
}

/// The description tests' architectures (22 of them, written in different styles) one after
/// another, again and again until the text holds `words` words: a long design document.
fn long_description(words: usize) -> String {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../cli/tests/descriptions");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("the description tests")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    let texts: Vec<String> = (paths.iter())
        .map(|path| std::fs::read_to_string(path).expect("a description"))
        .collect();
    let (mut text, mut count) = (String::new(), 0);
    for next in texts.iter().cycle() {
        if count >= words {
            break;
        }
        text.push_str(next);
        text.push('\n');
        count += next.split_whitespace().count();
    }
    text
}

/// `synthetic(n)` as a JSON model file (the fast JSON path of the intake).
fn synthetic_json(n: usize) -> String {
    let mut elements = vec![serde_json::json!(
        {"id": "users", "name": "Users", "kind": "external_entity", "tags": ["browser"]}
    )];
    let mut flows = Vec::new();
    for i in 0..n {
        elements.push(serde_json::json!(
            {"id": format!("svc-{i}"), "name": format!("Service {i}"), "kind": "process", "technologies": ["django"]}
        ));
        elements.push(serde_json::json!(
            {"id": format!("db-{i}"), "name": format!("DB {i}"), "kind": "data_store", "technologies": ["postgresql"]}
        ));
        let from = if i == 0 {
            "users".to_owned()
        } else {
            format!("svc-{}", i - 1)
        };
        flows
            .push(serde_json::json!({"from": from, "to": format!("svc-{i}"), "protocol": "https"}));
        flows.push(
            serde_json::json!({"from": format!("svc-{i}"), "to": format!("db-{i}"), "protocol": "postgresql"}),
        );
    }
    serde_json::to_string_pretty(&serde_json::json!({"elements": elements, "flows": flows}))
        .expect("a model serialises")
}

fn benches(c: &mut Criterion) {
    let kb = KnowledgeBase::builtin();
    let big = synthetic(500);
    let big_json = synthetic_json(500);
    c.bench_function("intake: 1,001 elements, YAML", |b| {
        b.iter(|| parse_model(&big, Format::Yaml, "large", kb).expect("valid"));
    });
    c.bench_function("intake: 1,001 elements, JSON", |b| {
        b.iter(|| parse_model(&big_json, Format::Json, "large", kb).expect("valid"));
    });
    // Minified: one line, where positions were once counted from the line's start each time.
    let one_line =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&big_json).expect("json"))
            .expect("json");
    c.bench_function("intake: 1,001 elements, JSON on one line", |b| {
        b.iter(|| parse_model(&one_line, Format::Json, "large", kb).expect("valid"));
    });
    c.bench_function("intake: blog model file", |b| {
        b.iter(|| parse_model(BLOG_MODEL, Format::Yaml, "blog", kb).expect("valid"));
    });
    c.bench_function("intake: blog description", |b| {
        b.iter(|| parse_description(BLOG_DESCRIPTION, "blog", kb).expect("read"));
    });
    let long = long_description(5_000);
    c.bench_function("intake: 5,000-word description", |b| {
        b.iter(|| parse_description(&long, "long", kb).expect("read"));
    });
    let blog = parse_model(BLOG_MODEL, Format::Yaml, "blog", kb)
        .expect("valid")
        .model;
    c.bench_function("engine: blog", |b| b.iter(|| analyze(&blog, kb)));
    let large = parse_model(&big, Format::Yaml, "large", kb)
        .expect("valid")
        .model;
    c.bench_function("engine: 1,001 elements", |b| b.iter(|| analyze(&large, kb)));
    let large_analysis = analyze(&large, kb);
    c.bench_function("diagram: 1,001 elements, SVG", |b| {
        b.iter(|| threatscribe_report::svg(&large_analysis));
    });
    c.bench_function("engine: 1,001 elements, outlines only", |b| {
        b.iter(|| StreamingAnalysis::new(&large, kb, None, &[]).len());
    });
    // What `analyze --format json` does: outlines, then each finding written as it is printed.
    let source = Source {
        path: "large.json".into(),
        kind: "JSON model file".into(),
        text: String::new(),
        warnings: Vec::new(),
        locations: std::collections::BTreeMap::new(),
    };
    c.bench_function("engine + JSON report: 1,001 elements, streamed", |b| {
        b.iter(|| {
            let analysis = StreamingAnalysis::new(&large, kb, None, &[]);
            let mut out = Vec::new();
            Json.render_streaming(&analysis, &source, &mut out)
                .expect("render");
            out.len()
        });
    });
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(pipeline);
