//! The `jejak` binary: everything is in the library, so tests can drive it too.

fn main() -> std::process::ExitCode {
    jejak::cli::run()
}
