//! `tresor`: parses the command line and hands off to the library.

/// Freed memory is wiped: see [`tresor::alloc`].
#[global_allocator]
static ALLOCATOR: tresor::alloc::WipeOnFree = tresor::alloc::WipeOnFree;

fn main() {
    std::process::exit(tresor::cli::main());
}
