# Sourced by the Makefile recipes: points tch's build at the project's venv (../shared/TOOLCHAIN.md).
export LIBTORCH="$PWD/.venv/lib/python3.11/site-packages/torch"
export LIBTORCH_CXX11_ABI=1
