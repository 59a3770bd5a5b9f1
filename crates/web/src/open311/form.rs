//! Open311's parameters, read from a query string or a form body: pure functions, so that
//! `fuzz/fuzz_targets/open311_form.rs` runs this very file without the web crate around it.

/// A query string or an `application/x-www-form-urlencoded` body as its parameters, in order:
/// `+` is a space, `%XX` a byte, bytes that are not UTF-8 become U+FFFD. Never refuses.
pub fn parse_form(bytes: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(bytes).into_owned().collect()
}

/// Every value of the parameter `name`, split at commas, trimmed, the empty ones left out
/// (`service_request_id=a,b&service_request_id=c` → `a`, `b`, `c`).
pub fn list_param(params: &[(String, String)], name: &str) -> Vec<String> {
    params
        .iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// The answers to a service's questions: `attribute[CODE]` and `attribute[CODE][]` as
/// (`CODE`, value), in order.
pub fn attribute_params(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .filter_map(|(k, v)| {
            let code = k.strip_prefix("attribute[")?;
            let code = code.strip_suffix("[]").unwrap_or(code).strip_suffix(']')?;
            Some((code.to_string(), v.clone()))
        })
        .collect()
}
