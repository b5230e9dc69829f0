#![no_main]
// Merging is idempotent for any two JSON documents.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some((a, b)) = text.split_once('\u{0}') else { return };
    let (Ok(a), Ok(b)) = (serde_json::from_str::<serde_json::Value>(a), serde_json::from_str::<serde_json::Value>(b)) else { return };
    let mut once = a;
    vz::merge::merge(&mut once, b.clone());
    let mut twice = once.clone();
    vz::merge::merge(&mut twice, b);
    assert_eq!(once, twice);
});
