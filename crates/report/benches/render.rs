//! Benchmarks of every renderer on the blog example. Run with `cargo bench -p
//! threatscribe-report`.

use criterion::{Criterion, criterion_group, criterion_main};
use threatscribe_engine::analyze;
use threatscribe_intake::{Format, parse_model};
use threatscribe_kb::KnowledgeBase;
use threatscribe_report::{
    Csv, Html, Json, Markdown, Render, Report, Sarif, Source, dot, mermaid, svg,
};

const BLOG_MODEL: &str = include_str!("../../../examples/blog/model.yaml");

fn benches(c: &mut Criterion) {
    let kb = KnowledgeBase::builtin();
    let parsed = parse_model(BLOG_MODEL, Format::Yaml, "blog", kb).expect("valid");
    let analysis = analyze(&parsed.model, kb);
    let source = Source {
        path: "examples/blog/model.yaml".into(),
        kind: "YAML model file".into(),
        text: BLOG_MODEL.into(),
        warnings: Vec::new(),
        locations: parsed.locations.clone(),
    };
    let report = Report {
        analysis: &analysis,
        source: &source,
        llm: None,
        knowledge_base: (0, 0, 0),
        baseline: None,
    };
    let formats: [(&str, &dyn Render); 5] = [
        ("md", &Markdown),
        ("html", &Html),
        ("json", &Json),
        ("sarif", &Sarif),
        ("csv", &Csv),
    ];
    for (name, renderer) in formats {
        c.bench_function(&format!("render: blog {name}"), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                renderer.render(&report, &mut out).expect("render");
                out
            });
        });
    }
    c.bench_function("diagram: blog mermaid", |b| b.iter(|| mermaid(&analysis)));
    c.bench_function("diagram: blog dot", |b| b.iter(|| dot(&analysis)));
    c.bench_function("diagram: blog svg", |b| b.iter(|| svg(&analysis)));
}

criterion_group! {
    name = render;
    config = Criterion::default().sample_size(10);
    targets = benches
}
criterion_main!(render);
