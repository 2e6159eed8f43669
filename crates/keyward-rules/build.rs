//! Embeds every `patterns/*.yaml` file into the binary, so rules are data
//! that ships with it and new files need no code change. Each file is
//! converted to JSON here: parsing JSON at start-up is several times
//! cheaper than YAML, and a file that is not valid YAML fails the build
//! with its name. The schema itself (unknown keys included) is checked when
//! the rules load, by the same code that loads user rule files.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../patterns");
    println!("cargo:rerun-if-changed={}", dir.display());
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR set by cargo");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("patterns/ exists")
        .map(|e| e.expect("patterns/ is readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = String::from("pub static FILES: &[(&str, &str, &str)] = &[\n");
    for path in &files {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path
            .file_name()
            .expect("file name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(path).expect("rule file is readable");
        let value: serde_json::Value = serde_yaml_ng::from_str(&text)
            .unwrap_or_else(|e| panic!("patterns/{name}: not valid YAML: {e}"));
        let json_path = Path::new(&out_dir).join(format!("{name}.json"));
        std::fs::write(&json_path, value.to_string()).expect("write rule JSON");
        // A scan never runs the examples and negatives, which are two
        // fifths of the text: its copy leaves them out, so every start
        // parses less.
        let mut scan = value;
        if let Some(rules) = scan.get_mut("rules").and_then(|r| r.as_array_mut()) {
            for rule in rules.iter_mut().filter_map(|r| r.as_object_mut()) {
                rule.remove("examples");
                rule.remove("negatives");
            }
        }
        let scan_path = Path::new(&out_dir).join(format!("{name}.scan.json"));
        std::fs::write(&scan_path, scan.to_string()).expect("write rule JSON");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?}), include_str!({:?})),",
            json_path.display().to_string(),
            scan_path.display().to_string()
        )
        .expect("write to string");
    }
    out.push_str("];\n");
    std::fs::write(Path::new(&out_dir).join("patterns.rs"), out)
        .expect("write generated patterns.rs");
}
