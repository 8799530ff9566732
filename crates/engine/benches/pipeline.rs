//! Benchmarks of the pipeline's stages, so regressions show: reading a model file, reading a
//! description, analysing, and rendering each format. Run with `cargo bench -p
//! threatscribe-engine`; the scale figures (10,000 elements and more) come from bench/scale.sh.

use std::fmt::Write as _;

use criterion::{Criterion, criterion_group, criterion_main};
use threatscribe_engine::analyze;
use threatscribe_intake::{Format, parse_description, parse_model};
use threatscribe_kb::KnowledgeBase;

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

fn benches(c: &mut Criterion) {
    let kb = KnowledgeBase::builtin();
    let big = synthetic(500);
    c.bench_function("intake: blog model file", |b| {
        b.iter(|| parse_model(BLOG_MODEL, Format::Yaml, "blog", kb).expect("valid"));
    });
    c.bench_function("intake: blog description", |b| {
        b.iter(|| parse_description(BLOG_DESCRIPTION, "blog", kb).expect("read"));
    });
    let blog = parse_model(BLOG_MODEL, Format::Yaml, "blog", kb)
        .expect("valid")
        .model;
    c.bench_function("engine: blog", |b| b.iter(|| analyze(&blog, kb)));
    let large = parse_model(&big, Format::Yaml, "large", kb)
        .expect("valid")
        .model;
    c.bench_function("engine: 1,001 elements", |b| b.iter(|| analyze(&large, kb)));
}

criterion_group! {
    name = pipeline;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(pipeline);
