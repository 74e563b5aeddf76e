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
    // The PyTorch version, for reproducibility records (`torch/version.py` beside `torch/lib`).
    let version_py = Path::new(&lib).join("../version.py");
    println!("cargo:rerun-if-changed={}", version_py.display());
    if let Ok(text) = std::fs::read_to_string(&version_py) {
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("__version__ = "))
            .map(|v| v.trim().trim_matches(['\'', '"']).to_string());
        if let Some(v) = version {
            println!("cargo:rustc-env=DARTBOARD_TORCH_VERSION={v}");
        }
    }
    if Path::new(&lib).join("libtorch_cuda.so").exists() {
        println!("cargo:rustc-link-arg=-Wl,--no-as-needed,-ltorch_cuda,--as-needed");
    }
}
