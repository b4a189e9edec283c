//! An ELF file's build facts (Go buildinfo, cargo-auditable's `.dep-v0`), then the packages a
//! scan reads from them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::{ExecutableFacts, cargo, executable_facts, golang};

fuzz_target!(|data: &[u8]| {
    let Some(stored) = executable_facts(data) else { return };
    let facts: ExecutableFacts = serde_json::from_slice(&stored).expect("facts read back as written");
    if let Some(go) = &facts.go_version {
        let _ = golang::parse(go, facts.go_modules.as_deref().unwrap_or(""));
    }
    if let Some(audit) = &facts.rust_audit {
        let _ = cargo::parse_audit(audit);
    }
});
