//! Every renderer and diagram on whatever valid model arbitrary JSON makes: names, ids and
//! texts full of markup reach the escaping of each format. The JSON and SARIF reports must be
//! JSON, and written finding by finding they must be the bytes of the whole analysis's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threatscribe_kb::KnowledgeBase;
use threatscribe_engine::StreamingAnalysis;
use threatscribe_report::{Csv, Html, Json, Markdown, Render, Report, Sarif, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let kb = KnowledgeBase::builtin();
    let Ok(parsed) = threatscribe_intake::parse_model_value(&value, "fuzz", kb) else {
        return;
    };
    let analysis = threatscribe_engine::analyze(&parsed.model, kb);
    let source = Source {
        path: "fuzz.json".into(),
        kind: "JSON model file".into(),
        text: String::from_utf8_lossy(data).into_owned(),
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
    let render = |renderer: &dyn Render| {
        let mut out = Vec::new();
        renderer.render(&report, &mut out).expect("rendering into memory works");
        out
    };
    for renderer in [&Markdown as &dyn Render, &Html, &Csv] {
        render(renderer);
    }
    let (json, sarif) = (render(&Json), render(&Sarif));
    for report in [&json, &sarif] {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(report) {
            panic!("not JSON: {e}");
        }
    }
    let streaming = StreamingAnalysis::new(&parsed.model, kb, None, &[]);
    let mut streamed = Vec::new();
    Json.render_streaming(&streaming, &source, &mut streamed)
        .expect("rendering into memory works");
    assert!(streamed == json, "the streamed JSON differs");
    streamed.clear();
    Sarif
        .render_streaming(&streaming, &source, None, &mut streamed)
        .expect("rendering into memory works");
    assert!(streamed == sarif, "the streamed SARIF differs");
    let _ = threatscribe_report::mermaid(&analysis);
    let _ = threatscribe_report::dot(&analysis);
    let _ = threatscribe_report::svg(&analysis);
});
