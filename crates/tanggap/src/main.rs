fn main() -> std::process::ExitCode {
    tanggap::cli::main()
}
