//! Embeds every file under the workspace's `kb/` directory into the crate, so the knowledge base
//! ships inside the binary and a change to any YAML file rebuilds it.
//!
//! Each file is also embedded as JSON, converted here: reading 850 KB of YAML took 45-50 ms of
//! every run, JSON takes a few. A file that does not convert is embedded as YAML only and read
//! as YAML at run time, so its problem is reported as any other (the knowledge base's tests
//! fail on it).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "yaml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets this"));
    let root = manifest
        .join("../../kb")
        .canonicalize()
        .expect("kb/ exists at the workspace root");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets this"));
    let json_dir = out_dir.join("kb-json");
    fs::create_dir_all(&json_dir).expect("create OUT_DIR/kb-json");
    let mut code = String::from("pub static FILES: &[(&str, &str)] = &[\n");
    let mut json = String::from("pub static JSON: &[Option<&str>] = &[\n");
    for (index, path) in files.iter().enumerate() {
        let relative = path
            .strip_prefix(&root)
            .expect("under kb/")
            .to_string_lossy()
            .replace('\\', "/");
        writeln!(
            code,
            "    ({relative:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to string");
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        match serde_saphyr::from_str::<serde_json::Value>(&text) {
            Ok(value) => {
                let converted = json_dir.join(format!("{index}.json"));
                fs::write(&converted, value.to_string()).expect("write converted file");
                writeln!(
                    json,
                    "    Some(include_str!({:?})),",
                    converted.display().to_string()
                )
                .expect("write to string");
            }
            Err(_) => json.push_str("    None,\n"),
        }
    }
    code.push_str("];\n");
    json.push_str("];\n");
    code.push_str(&json);
    fs::write(out_dir.join("embedded.rs"), code).expect("write embedded.rs");
}
