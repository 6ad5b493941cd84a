//! Every function in `functions/`, compiled from its own `handler.rs` (see `build.rs`).

include!(concat!(env!("OUT_DIR"), "/functions.rs"));

/// The function with this folder name.
pub fn named(name: &str) -> Option<&'static stagepass_api::Function> {
    ALL.iter().find(|f| f.name == name)
}
