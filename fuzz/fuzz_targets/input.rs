#![no_main]
// Detection and parsing of any text never panic, with or without locations.
libfuzzer_sys::fuzz_target!(|s: &str| {
    let _ = vz::input::parse_documents(s, "fuzz", vz::input::Locate::Documents);
    let _ = vz::input::parse_documents(s, "fuzz", vz::input::Locate::Everything);
});
