# Progress output shared by the project's shell scripts (sourced, not run): a step of a long
# command, a note under it, and an error that ends the script.
# shellcheck shell=bash

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
