//! Parsing of Rocket-style path templates: `"/repos/<owner>/<repo>/contents/<path..>?ref=main"`.
//!
//! A placeholder is a whole path segment. Every mistake is reported with the byte range of the
//! offending fragment, a message that quotes it, and a help line saying what to write instead.

use std::ops::Range;

/// A parsed template.
#[derive(Debug, Clone, Default)]
pub struct PathTemplate {
    /// Literal runs and placeholders, in order.
    pub parts: Vec<Part>,
    /// The literal query string after `?`, without the `?`.
    pub query: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Literal(String),
    Placeholder(Placeholder),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    pub name: String,
    /// `<name..>`: takes the rest of the path, slashes kept.
    pub rest: bool,
    /// Where it stands in the template, for errors.
    pub range: Range<usize>,
}

impl PathTemplate {
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(p) => Some(p),
            Part::Literal(_) => None,
        })
    }
}

/// One mistake in a template.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    pub kind: ErrorKind,
    /// The byte range of the offending fragment in the template.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ErrorKind {
    Empty,
    NoLeadingSlash,
    /// A whole URL (`"https://host/path"`) where a path goes.
    FullUrl(String),
    /// The character, and the template before it (to say where it is).
    Whitespace(char, String),
    Backslash,
    Fragment,
    InvalidChar(char),
    RetrofitPlaceholder(String),
    Unclosed(String),
    EmptyPlaceholder,
    InvalidName(String),
    NotWholeSegment(String),
    Duplicate(String),
    RestNotLast(String),
    PlaceholderInQuery(String),
}

impl ErrorKind {
    pub fn message(&self) -> String {
        match self {
            ErrorKind::Empty => "the path is empty".into(),
            ErrorKind::NoLeadingSlash => "the path must start with `/`".into(),
            ErrorKind::FullUrl(url) => {
                format!("`{url}` is a full URL, but the path of a method is relative to the base URL of #[api]")
            }
            ErrorKind::Whitespace(c, before) => {
                let what = match c {
                    ' ' => "a space".to_string(),
                    '\t' => "a tab".to_string(),
                    '\n' | '\r' => "a line break".to_string(),
                    c if c.is_whitespace() => format!("the whitespace character {c:?}"),
                    c => format!("the control character {c:?}"),
                };
                match before.is_empty() {
                    true => format!("the path starts with {what}"),
                    false => format!("the path contains {what} after `{before}`"),
                }
            }
            ErrorKind::Backslash => "the path contains a backslash `\\`".into(),
            ErrorKind::Fragment => "the path contains a fragment `#`, which is never sent to a server".into(),
            ErrorKind::InvalidChar(c) => format!("the path contains `{c}`, which is not allowed in a URL path"),
            ErrorKind::RetrofitPlaceholder(s) => format!("`{s}` is not a placeholder in restrait"),
            ErrorKind::Unclosed(s) => format!("unclosed placeholder `{s}`"),
            ErrorKind::EmptyPlaceholder => "empty placeholder `<>`".into(),
            ErrorKind::InvalidName(s) => format!("`{s}` is not a valid placeholder name"),
            ErrorKind::NotWholeSegment(s) => format!("placeholder in `{s}` must be a whole path segment"),
            ErrorKind::Duplicate(s) => format!("placeholder `<{s}>` appears more than once"),
            ErrorKind::RestNotLast(s) => format!("`<{s}..>` takes the rest of the path and must be the last segment"),
            ErrorKind::PlaceholderInQuery(s) => {
                format!("placeholder `{s}` in the query string; the query string of a path is sent as written")
            }
        }
    }

    pub fn help(&self) -> String {
        match self {
            ErrorKind::Empty | ErrorKind::NoLeadingSlash => "write an absolute path such as `\"/users/<id>\"`".into(),
            ErrorKind::FullUrl(url) => {
                let (origin, path) = split_url(url);
                format!("write only the path, `\"{path}\"`, and the rest in the base: `#[api(base = \"{origin}\")]`")
            }
            ErrorKind::Whitespace(' ', _) => "remove it, or percent-encode a literal space as `%20`".into(),
            ErrorKind::Whitespace(..) => "remove it".into(),
            ErrorKind::Backslash => "separate segments with `/`".into(),
            ErrorKind::Fragment => "remove the `#...` part".into(),
            ErrorKind::InvalidChar(_) => "percent-encode it (for example `%7C` for `|`)".into(),
            ErrorKind::RetrofitPlaceholder(s) => {
                let name = s.trim_start_matches('{').trim_end_matches('}');
                format!("write `<{name}>`")
            }
            ErrorKind::Unclosed(s) => format!("close it: `{s}>`"),
            ErrorKind::EmptyPlaceholder => "name the argument it stands for: `<id>`".into(),
            ErrorKind::InvalidName(s) => {
                let rule = "a placeholder is the name of an argument: letters, digits and `_`, not starting with a digit";
                let fixed: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
                match is_identifier(&fixed) {
                    true => format!("{rule}, such as `<{fixed}>`"),
                    false => rule.into(),
                }
            }
            ErrorKind::NotWholeSegment(_) => "put the placeholder between slashes, like `/files/<name>`, and build the rest of the segment in the argument".into(),
            ErrorKind::Duplicate(s) => {
                format!("each placeholder names its own argument; rename the second one (such as `<{s}2>`) and pass the value to both if the API repeats it")
            }
            ErrorKind::RestNotLast(s) => format!("move `<{s}..>` to the end, or use `<{s}>` for a single segment"),
            ErrorKind::PlaceholderInQuery(s) => {
                let name = s.trim_start_matches('<').trim_end_matches('>');
                format!("remove it from the path and declare the argument as `#[query] {name}: ...`")
            }
        }
    }
}

/// Parses a template, returning every mistake found.
pub fn parse(template: &str) -> Result<PathTemplate, Vec<PathError>> {
    let mut errors = Vec::new();
    let err = |errors: &mut Vec<PathError>, kind, range| errors.push(PathError { kind, range });

    if template.is_empty() {
        return Err(vec![PathError { kind: ErrorKind::Empty, range: 0..0 }]);
    }
    if let Some((i, c)) = template.char_indices().find(|(_, c)| c.is_whitespace() || c.is_control()) {
        err(&mut errors, ErrorKind::Whitespace(c, template[..i].to_string()), i..i + c.len_utf8());
    }
    if let Some(i) = template.find('\\') {
        err(&mut errors, ErrorKind::Backslash, i..i + 1);
    }
    if let Some(i) = template.find('#') {
        err(&mut errors, ErrorKind::Fragment, i..template.len());
    }
    if template.contains("://") && !template.starts_with('/') {
        // Reported alone: the parts of a URL are no mistakes of a path.
        return Err(vec![PathError { kind: ErrorKind::FullUrl(template.to_string()), range: 0..template.len() }]);
    }
    if !template.starts_with('/') {
        err(&mut errors, ErrorKind::NoLeadingSlash, 0..template.len());
    }

    let (path, query) = match template.find('?') {
        Some(i) => (&template[..i], Some((i + 1, &template[i + 1..]))),
        None => (template, None),
    };

    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut names: Vec<String> = Vec::new();
    let mut offset = 0;
    for (index, segment) in path.split('/').enumerate() {
        let start = offset;
        offset += segment.len() + 1;
        if index > 0 {
            literal.push('/');
        }
        let range = start..start + segment.len();
        match parse_segment(segment, start) {
            Segment::Literal => {
                if let Some((c, at)) = invalid_char(segment) {
                    err(&mut errors, ErrorKind::InvalidChar(c), start + at..start + at + c.len_utf8());
                }
                literal.push_str(segment);
            }
            Segment::Placeholder { name, rest } => {
                if names.contains(&name) {
                    err(&mut errors, ErrorKind::Duplicate(name.clone()), range.clone());
                }
                names.push(name.clone());
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Placeholder(Placeholder { name, rest, range }));
            }
            Segment::Error(kind, range) => err(&mut errors, kind, range),
        }
    }
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    // `<rest..>` anywhere but the final segment.
    let last_segment_start = path.rfind('/').map_or(0, |i| i + 1);
    for p in parts.iter() {
        if let Part::Placeholder(p) = p {
            if p.rest && p.range.start != last_segment_start {
                err(&mut errors, ErrorKind::RestNotLast(p.name.clone()), p.range.clone());
            }
        }
    }

    let query = query.map(|(start, q)| {
        if let Some(open) = q.find(['<', '{']) {
            let close = q[open..].find(['>', '}']).map_or(q.len(), |i| open + i + 1);
            err(&mut errors, ErrorKind::PlaceholderInQuery(q[open..close].to_string()), start + open..start + close);
        } else if let Some((at, c)) = q.char_indices().find(|&(_, c)| c != '?' && c != '/' && !is_pchar(c)) {
            err(&mut errors, ErrorKind::InvalidChar(c), start + at..start + at + c.len_utf8());
        }
        q.to_string()
    });

    if errors.is_empty() {
        Ok(PathTemplate { parts, query: query.filter(|q| !q.is_empty()) })
    } else {
        // The same fragment may break two rules (a space is also an invalid character, and
        // makes `/ <id>` a placeholder that is not a whole segment); report each place once,
        // by the rule found first.
        let mut reported: Vec<PathError> = Vec::new();
        for e in errors {
            // A missing leading `/` concerns the whole template but hides nothing inside it.
            let overlaps = |r: &PathError| {
                r.range == e.range
                    || (r.kind != ErrorKind::NoLeadingSlash
                        && r.range.start < e.range.end
                        && e.range.start < r.range.end)
            };
            if !reported.iter().any(overlaps) {
                reported.push(e);
            }
        }
        Err(reported)
    }
}

enum Segment {
    Literal,
    Placeholder { name: String, rest: bool },
    Error(ErrorKind, Range<usize>),
}

fn parse_segment(segment: &str, start: usize) -> Segment {
    let whole = start..start + segment.len();
    if let Some(open) = segment.find('{') {
        let close = segment[open..].find('}').map_or(segment.len(), |i| open + i + 1);
        return Segment::Error(
            ErrorKind::RetrofitPlaceholder(segment[open..close].to_string()),
            start + open..start + close,
        );
    }
    let Some(open) = segment.find('<') else {
        return match segment.find('>') {
            Some(_) => Segment::Error(ErrorKind::InvalidChar('>'), whole),
            None => Segment::Literal,
        };
    };
    let Some(close) = segment[open..].find('>').map(|i| open + i) else {
        return Segment::Error(ErrorKind::Unclosed(segment[open..].to_string()), start + open..whole.end);
    };
    if open != 0 || close != segment.len() - 1 || segment[open + 1..].contains('<') {
        return Segment::Error(ErrorKind::NotWholeSegment(segment.to_string()), whole);
    }
    let inner = &segment[1..segment.len() - 1];
    let (name, rest) = match inner.strip_suffix("..") {
        Some(name) => (name, true),
        None => (inner, false),
    };
    if name.is_empty() {
        return Segment::Error(ErrorKind::EmptyPlaceholder, whole);
    }
    if !is_identifier(name) {
        return Segment::Error(ErrorKind::InvalidName(name.to_string()), whole);
    }
    Segment::Placeholder { name: name.to_string(), rest }
}

/// `("https://host", "/path")` of `"https://host/path"`.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, "/"),
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name != "_"
}

/// RFC 3986 `pchar` without `%` (checked with its two hex digits in [`invalid_char`]).
fn is_pchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@%".contains(c)
}

fn invalid_char(segment: &str) -> Option<(char, usize)> {
    let bytes = segment.as_bytes();
    for (i, c) in segment.char_indices() {
        if c == '%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Some((c, i));
            }
        } else if !is_pchar(c) {
            return Some((c, i));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(template: &str) -> Vec<ErrorKind> {
        parse(template).unwrap_err().into_iter().map(|e| e.kind).collect()
    }

    #[test]
    fn parses_placeholders_and_literals() {
        let t = parse("/repos/<owner>/<repo>/contents/<path..>?ref=main").unwrap();
        let names: Vec<_> = t.placeholders().map(|p| (p.name.as_str(), p.rest)).collect();
        assert_eq!(names, [("owner", false), ("repo", false), ("path", true)]);
        assert_eq!(t.parts[0], Part::Literal("/repos/".into()));
        assert_eq!(t.query.as_deref(), Some("ref=main"));
    }

    #[test]
    fn reports_each_mistake() {
        assert_eq!(kinds(""), [ErrorKind::Empty]);
        assert_eq!(kinds("users"), [ErrorKind::NoLeadingSlash]);
        assert_eq!(kinds("https://h.example/a"), [ErrorKind::FullUrl("https://h.example/a".into())]);
        assert_eq!(kinds("/users/{id}"), [ErrorKind::RetrofitPlaceholder("{id}".into())]);
        assert_eq!(kinds("/users/<id"), [ErrorKind::Unclosed("<id".into())]);
        assert_eq!(kinds("/users/<>"), [ErrorKind::EmptyPlaceholder]);
        assert_eq!(kinds("/users/<1d>"), [ErrorKind::InvalidName("1d".into())]);
        assert_eq!(kinds("/users/<id>.json"), [ErrorKind::NotWholeSegment("<id>.json".into())]);
        assert_eq!(kinds("/a/<id>/<id>"), [ErrorKind::Duplicate("id".into())]);
        assert_eq!(kinds("/a/<p..>/b"), [ErrorKind::RestNotLast("p".into())]);
        assert_eq!(kinds("/a?x=<x>"), [ErrorKind::PlaceholderInQuery("<x>".into())]);
        assert_eq!(kinds("/a b"), [ErrorKind::Whitespace(' ', "/a".into())]);
        assert_eq!(kinds("/a|b"), [ErrorKind::InvalidChar('|')]);
        assert_eq!(kinds("/a%zz"), [ErrorKind::InvalidChar('%')]);
    }

    #[test]
    fn reports_several_mistakes_together() {
        assert_eq!(kinds("/a/{x}/<y").len(), 2);
    }

    #[test]
    fn reports_one_mistake_once() {
        assert_eq!(kinds("/users/ <id>"), [ErrorKind::Whitespace(' ', "/users/".into())]);
        assert_eq!(kinds(" /users"), [ErrorKind::Whitespace(' ', String::new())]);
        assert_eq!(kinds("users/{id}").len(), 2);
    }

    #[test]
    fn ranges_point_at_the_fragment() {
        let e = &parse("/users/{id}").unwrap_err()[0];
        assert_eq!(&"/users/{id}"[e.range.clone()], "{id}");
    }
}
