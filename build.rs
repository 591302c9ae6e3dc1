//! Link settings for the `tribune` binary.
//!
//! On Linux with glibc, the binary is linked with its relative relocations packed
//! (`-z pack-relative-relocs`, the ELF `DT_RELR` table). A position-independent executable
//! holds one relocation for every pointer in its read-only data (vtables, tables of
//! strings); as 24-byte `Rela` records they made 1.2 MB of the binary, all read by the
//! loader at every start (BENCHMARKS.md, B6). Packed, they take 19 KB, and the binary
//! keeps its address randomisation. glibc reads the table from 2.36 on; a linker
//! that does not know the option (GNU ld before 2.38) warns and ignores it.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
