#![no_main]
// Parsing never panics, and what parses formats back to the same duration.
libfuzzer_sys::fuzz_target!(|s: &str| {
    if let Ok(d) = vz::duration::parse(s) {
        assert_eq!(vz::duration::parse(&vz::duration::format(d)), Ok(d));
    }
});
