//! `tresor`: parses the command line and hands off to the library. No subcommand opens the app;
//! any subcommand runs on the command line, which never opens a window.

use tresor::cli;

/// Freed memory is wiped: see [`tresor::alloc`].
#[global_allocator]
static ALLOCATOR: tresor::alloc::WipeOnFree = tresor::alloc::WipeOnFree;

fn main() {
    let cli = cli::parse();
    // `tresor` alone (optionally with `--vault PATH`): the desktop app on that vault. Without
    // this branch (`#[cfg(feature = "gui")]` on the `if`), `tresor` alone is a usage error.
    #[cfg(feature = "gui")]
    if cli.command.is_none() {
        let opened = cli.vault_path().and_then(|path| tresor::ui::run(path).map_err(cli::CliError::other));
        if let Err(e) = &opened {
            cli::report(e);
        }
        std::process::exit(opened.map_or_else(|e| e.code, |()| cli::exit::OK));
    }
    std::process::exit(cli::run(cli));
}
