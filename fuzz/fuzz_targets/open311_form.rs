//! Open311's parameters (`tanggap_web::open311::{parse_form, list_param, attribute_params}`)
//! from any query string or form body. The web crate's file is compiled in here as it is
//! (`#[path]`), which spares the fuzz build the whole web stack. Checked: written back as a
//! form they read the same; lists hold trimmed, non-empty values without commas; attribute
//! codes come from `attribute[…]` names.
#![no_main]

use libfuzzer_sys::fuzz_target;
#[path = "../../crates/web/src/open311/form.rs"]
mod form;

use form::{attribute_params, list_param, parse_form};

fuzz_target!(|data: &[u8]| {
    let params = parse_form(data);
    let again = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter())
        .finish();
    assert_eq!(parse_form(again.as_bytes()), params);
    for name in ["service_request_id", "service_code", "status"] {
        for v in list_param(&params, name) {
            assert!(!v.is_empty() && v == v.trim() && !v.contains(','), "{v:?}");
        }
    }
    let attributes = attribute_params(&params);
    assert!(attributes.len() <= params.len());
    for (code, value) in &attributes {
        assert!(
            params.iter().any(|(k, v)| v == value
                && k.starts_with("attribute[")
                && k.contains(code.as_str())),
            "{code:?}"
        );
    }
});
