#![no_main]
// Expansion never panics; text without `$` comes back unchanged.
libfuzzer_sys::fuzz_target!(|s: &str| {
    let lookup = |name: &str| (name.len() % 2 == 0).then(|| name.to_lowercase());
    if let Ok(e) = vz::subst::expand(s, &lookup) {
        if !s.contains('$') {
            assert_eq!(e.text, s);
        }
    }
});
