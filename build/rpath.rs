//! Shared build script of `engine` and `server`: bakes the libtorch directory into the RPATH of
//! every binary and test so `dartboard` runs with no environment
//! variables, and keeps `libtorch_cuda` linked (the linker's `--as-needed` would drop it, silently
//! disabling CUDA). See ../shared/TOOLCHAIN.md.
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    let Ok(lib) = std::env::var("DEP_TCH_LIBTORCH_LIB") else {
        println!("cargo:warning=DEP_TCH_LIBTORCH_LIB unset: the binary gets no rpath to libtorch");
        return;
    };
    println!("cargo:rustc-link-arg=-Wl,-rpath,{lib}");
    if Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
