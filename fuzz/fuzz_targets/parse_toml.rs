#![no_main]

use libfuzzer_sys::fuzz_target;
use tresor::interchange::Format;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::check(Format::Toml, data));
