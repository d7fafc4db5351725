//! Migration type names (`add-column`'s `type`): any input parses or is refused with an error;
//! never a panic, an abort or a stack overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        let _ = icehelper_core::migrate::types::parse_primitive(input);
        let _ = icehelper_core::migrate::types::parse_type(input);
    }
});
