//! Integration events as a subscriber sees them: the published schemas, the local archive
//! and replay (`GET /dev/events`, `POST /dev/events/replay`).

use stagepass_tests::repo_root;
use stagepass_tests::schemas::{BEGIN, END, SCHEMA_DIR, files, registry_block};

/// The schema files and the template's registry are what the Rust event types say: run
/// `make schemas` after changing an event (it rewrites both).
#[test]
fn the_checked_in_event_schemas_are_what_the_code_says() {
    let dir = repo_root().join(SCHEMA_DIR);
    let template_path = repo_root().join("template.yaml");
    let template = std::fs::read_to_string(&template_path).unwrap();
    let (head, rest) = template
        .split_once(BEGIN)
        .expect("the template has the schema block");
    let (_, tail) = rest.split_once(END).expect("the schema block ends");
    let tail = tail.split_once('\n').map_or("", |(_, t)| t);
    let wanted_template = format!("{head}{}{tail}", registry_block());
    if std::env::var_os("STAGEPASS_WRITE_SCHEMAS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files() {
            std::fs::write(dir.join(name), text).unwrap();
        }
        std::fs::write(&template_path, &wanted_template).unwrap();
    }
    let template = std::fs::read_to_string(&template_path).unwrap();
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut expected: Vec<String> = files().into_iter().map(|(n, _)| n).collect();
    expected.sort();
    assert_eq!(
        on_disk, expected,
        "{SCHEMA_DIR} has other files: run make schemas"
    );
    for (name, text) in files() {
        let checked_in = std::fs::read_to_string(dir.join(&name)).unwrap();
        assert!(
            checked_in == text,
            "{SCHEMA_DIR}/{name} is out of date: run make schemas"
        );
    }
    assert!(
        template == wanted_template,
        "template.yaml's schema registry is out of date: run make schemas"
    );
    // The registry's content is the files' content, and every type is in it.
    let doc: serde_yaml::Value = serde_yaml::from_str(&template).unwrap();
    for (name, text) in files() {
        let kind = name.split('-').next().unwrap();
        let logical = format!("{kind}V1Schema");
        let resource = &doc["Resources"][logical.as_str()];
        let content: serde_json::Value =
            serde_json::from_str(resource["Properties"]["Content"].as_str().unwrap()).unwrap();
        let file: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(content, file, "{logical}");
    }
}
