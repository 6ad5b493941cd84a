//! Makes the local server serve every function in `functions/` with no list to keep: each
//! folder's `src/handler.rs` is compiled in as a module and its `FUNCTION` registered, so a
//! new function folder is picked up by `make run` and the tests as it is.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("functions/ exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("src/handler.rs").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = String::new();
    for name in &names {
        let path = root.join(name).join("src/handler.rs");
        let path = path.canonicalize().expect("handler path");
        println!("cargo:rerun-if-changed={}", path.display());
        let module = name.replace('-', "_");
        writeln!(
            out,
            "#[path = {:?}]\npub mod {module};",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str(
        "\n/// Every function folder, by name.\npub const ALL: &[stagepass_api::Function] = &[\n",
    );
    for name in &names {
        writeln!(out, "    {}::FUNCTION,", name.replace('-', "_")).unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("functions.rs");
    std::fs::write(dest, out).unwrap();
}
