//! Tidy checks, run as tests: the pure crates stay pure, every source file says what it is,
//! and the two migration folders stay in lockstep.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::support::repository_root;

/// Crates the pure core must never reach, directly or through another crate.
const IMPURE: &[&str] = &["tokio", "sqlx", "axum", "hyper", "tracing", "mio", "reqwest"];

#[test]
fn the_pure_crates_do_not_depend_on_io_or_async_crates() {
    let lock = std::fs::read_to_string(repository_root().join("Cargo.lock")).unwrap();
    let lock: toml::Table = lock.parse().unwrap();
    let mut dependencies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in lock["package"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_owned();
        let needs =
            package.get("dependencies").and_then(|d| d.as_array()).cloned().unwrap_or_default();
        let needs = needs.iter().map(|d| d.as_str().unwrap().split(' ').next().unwrap().to_owned());
        dependencies.entry(name).or_default().extend(needs);
    }
    for root in ["events", "projections"] {
        let mut reached = BTreeSet::new();
        let mut pending = vec![root.to_owned()];
        while let Some(name) = pending.pop() {
            if reached.insert(name.clone()) {
                pending.extend(dependencies.get(&name).cloned().unwrap_or_default());
            }
        }
        for name in &reached {
            let impure = IMPURE
                .iter()
                .any(|banned| name == banned || name.starts_with(&format!("{banned}-")));
            assert!(!impure, "the pure crate `{root}` reaches `{name}`");
        }
    }
}

#[test]
fn the_pure_crates_have_no_async_and_no_io() {
    let banned = [
        "async ",
        ".await",
        "std::fs",
        "std::net",
        "std::process",
        "std::env",
        "SystemTime::",
        "Instant::",
    ];
    for file in rust_files(&["events/src", "projections/src"]) {
        let text = std::fs::read_to_string(&file).unwrap();
        for token in banned {
            // A token counts only where it ends: `.await` but not `.awaiting`.
            let used = text.match_indices(token).any(|(at, _)| {
                let next = text[at + token.len()..].chars().next();
                token.ends_with([' ', ':'])
                    || !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            assert!(!used, "{} uses `{token}`", file.display());
        }
    }
}

#[test]
fn every_rust_file_starts_with_a_module_comment() {
    for file in rust_files(&["src", "events/src", "projections/src", "tests"]) {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} must start with a `//!` comment", file.display());
    }
}

#[test]
fn every_test_module_file_is_declared() {
    let main = std::fs::read_to_string(repository_root().join("tests/it/main.rs")).unwrap();
    for file in rust_files(&["tests/it"]) {
        let name = file.file_stem().unwrap().to_str().unwrap();
        if name != "main" {
            assert!(main.contains(&format!("mod {name};")), "tests/it/{name}.rs is not declared");
        }
    }
}

#[test]
fn the_migration_folders_are_in_lockstep() {
    let names = |dialect: &str| -> BTreeSet<String> {
        let dir = repository_root().join("migrations").join(dialect);
        std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect()
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same names"
    );
}

fn rust_files(roots: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = roots.iter().map(|root| repository_root().join(root)).collect();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                pending.push(entry.unwrap().path());
            }
        } else if path.extension() == Some("rs".as_ref()) {
            files.push(path);
        }
    }
    assert!(!files.is_empty(), "no Rust files under {roots:?}");
    files.sort();
    files
}

#[test]
fn the_offline_script_and_worker_are_small_and_fetch_nothing_from_elsewhere() {
    use jejak::server::dashboard::offline::{SCRIPT, WORKER};
    let size = SCRIPT.len() + WORKER.len();
    assert!(size < 30 * 1024, "the offline register's script and worker: {size} bytes");
    for (name, source) in [("offline.js", SCRIPT), ("sw.js", WORKER)] {
        for remote in ["http:", "https:", "//cdn", "import ", "importScripts"] {
            assert!(!source.contains(remote), "{name} names {remote}: it fetches only from jejak");
        }
    }
}
