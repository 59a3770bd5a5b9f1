/// mimalloc instead of the C library's allocator: under concurrent reads the C library's
/// allocator took a quarter of the server's time in a profile (its arenas' locks and
/// consolidation, with rows allocated on SQLite's threads and freed on the runtime's);
/// BENCHMARKS.md, reads at a million reports.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tanggap::cli::main()
}
