#![no_main]
// parse → emit → parse is the identity for every document that parses.
libfuzzer_sys::fuzz_target!(|s: &str| {
    if let Ok(docs) = vz::yaml::parse_stream(s, "fuzz") {
        for d in docs {
            let text = vz::yaml::to_string(&d).expect("every parsed document can be written");
            let back = vz::yaml::parse_stream(&text, "fuzz").expect("what we write parses");
            assert_eq!(back, vec![d]);
        }
    }
});
