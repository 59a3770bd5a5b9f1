//! `sqlx::migrate!` reads the migrations while compiling: a migration added later must rebuild
//! the crate, which cargo does not know to do on its own.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
