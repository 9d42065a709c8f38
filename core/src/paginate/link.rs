//! RFC 8288 `Link` headers: `<https://api.example.com/items?page=2>; rel="next", <...>; rel="last"`.

/// The target of the first link whose `rel` (a space-separated list) contains `rel`, in any
/// of the header's values.
pub(crate) fn find(values: impl IntoIterator<Item = String>, rel: &str) -> Option<String> {
    values.into_iter().find_map(|value| {
        parse(&value).into_iter().find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case(rel))).map(|(url, _)| url)
    })
}

/// Every link of one header value: its target and its relation types.
fn parse(value: &str) -> Vec<(String, Vec<String>)> {
    let mut links = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        let Some(after_open) = rest.strip_prefix('<') else { break };
        let Some(close) = after_open.find('>') else { break };
        let target = after_open[..close].trim().to_string();
        rest = &after_open[close + 1..];
        let mut rels = Vec::new();
        // Parameters up to the next comma that is outside quotes.
        loop {
            rest = rest.trim_start_matches([' ', '\t']);
            let Some(after_semi) = rest.strip_prefix(';') else { break };
            let param = after_semi.trim_start();
            let name_end = param.find(['=', ';', ',']).unwrap_or(param.len());
            let name = param[..name_end].trim().to_ascii_lowercase();
            rest = &param[name_end..];
            let mut value = String::new();
            if let Some(v) = rest.strip_prefix('=') {
                let v = v.trim_start();
                if let Some(quoted) = v.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut end = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    value.push(escaped);
                                }
                            }
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &quoted[end.min(quoted.len())..];
                } else {
                    let end = v.find([';', ',']).unwrap_or(v.len());
                    value = v[..end].trim().to_string();
                    rest = &v[end..];
                }
            }
            if name == "rel" {
                rels.extend(value.split_whitespace().map(str::to_string));
            }
        }
        links.push((target, rels));
        match rest.find(',') {
            Some(i) => rest = &rest[i + 1..],
            None => break,
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(v: &str) -> Option<String> {
        find([v.to_string()], "next")
    }

    #[test]
    fn finds_next_among_several_links_and_rels() {
        let h = r#"<https://a.example/items?page=1>; rel="prev first", <https://a.example/items?page=3>; rel="next", <https://a.example/items?page=9>; rel=last"#;
        assert_eq!(next(h).as_deref(), Some("https://a.example/items?page=3"));
        assert_eq!(next(r#"</items?page=2>; title="a, b; c"; rel="last next""#).as_deref(), Some("/items?page=2"));
        assert_eq!(next(r#"<x>; rel=NEXT"#).as_deref(), Some("x"));
        assert_eq!(next(r#"<x>; rel="prev""#), None);
        assert_eq!(next(""), None);
        assert_eq!(next("garbage"), None);
    }

    #[test]
    fn reads_links_spread_over_several_headers() {
        assert_eq!(find(["<a>; rel=prev".to_string(), "<b>; rel=next".to_string()], "next").as_deref(), Some("b"));
    }
}
