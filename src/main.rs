//! The `jejak` binary: everything is in the library, so tests can drive it too.

/// mimalloc instead of the system allocator: glibc keeps an arena per thread, and memory freed
/// on another thread than the one that allocated it (event pages read on blocking threads,
/// rows from the database driver's thread) stays with its arena, so a national-scale answer
/// held a third more resident memory than its heap (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    jejak::cli::run()
}
